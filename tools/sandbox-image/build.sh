#!/usr/bin/env bash
# Build the supabase-sync sandbox image without any image registry.
#
#   bash tools/sandbox-image/build.sh [--if-missing] [--tag NAME]
#
# A Debian root filesystem with PostgreSQL 15 is made from Debian packages
# (debootstrap --variant=minbase), entrypoint.sh is added, and the tree becomes
# an image with `docker import`. The image follows the official postgres
# image's conventions (POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB), so the
# docker sandbox backend runs it as a plain PostgreSQL and applies the Supabase
# shim. The image is labelled with a hash of this recipe: --if-missing keeps an
# image built from the same recipe and rebuilds one from an older recipe.
#
# Needs root, a Docker engine (DOCKER_HOST is honoured) and debootstrap
# (installed with apt-get when missing). The packages come from the mirror the
# machine's apt uses (or $DEBIAN_MIRROR). About 45 s on 2 cores, more on a slow mirror.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
tag="supabase-sync/sandbox-postgres:15"
suite="bookworm"
if_missing=false
while [ $# -gt 0 ]; do
    case "$1" in
        --if-missing) if_missing=true ;;
        --tag) tag="$2"; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

recipe="$(cat "$here/build.sh" "$here/entrypoint.sh" | sha256sum | cut -c1-16)"
label="org.supabase-sync.sandbox-image.recipe"
if $if_missing; then
    current="$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$tag" 2>/dev/null || true)"
    if [ "$current" = "$recipe" ]; then
        echo "sandbox image $tag is up to date (recipe $recipe); reusing it"
        exit 0
    fi
fi

if [ "$(id -u)" != 0 ]; then
    echo "build.sh: debootstrap needs root; run it as root (or use an image with POSTGRES_PASSWORD conventions)" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    echo "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# The first Debian archive apt is configured with (deb822 .sources or one-line lists).
apt_mirror() {
    local file
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        awk -v suite="$suite" '
            /^URIs:/ { uri = $2 } /^Suites:/ { suites = $0 }
            /^$/ { if (uri != "" && suites ~ (" " suite "( |$)")) { print uri; exit } uri = ""; suites = "" }
            END { if (uri != "" && suites ~ (" " suite "( |$)")) print uri }' "$file"
    done | head -n 1
    grep -hE "^deb +[^ ]+ +$suite +" /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '{ print $2 }' | head -n 1
}
mirror="${DEBIAN_MIRROR:-$(apt_mirror | head -n 1 || true)}"

work="$(mktemp -d /var/tmp/supabase-sync-sandbox-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
cache="/var/cache/supabase-sync/sandbox-image-debs"
mkdir -p "$cache"

echo "building sandbox image $tag from Debian $suite packages${mirror:+ ($mirror)} (about a minute; more on a slow mirror)"
started=$SECONDS
debootstrap --variant=minbase --include=postgresql-15 --cache-dir="$cache" "$suite" "$rootfs" ${mirror:+"$mirror"} \
    >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    echo "build.sh: debootstrap failed (full log above); check that Debian packages can be downloaded" >&2
    exit 1
}

# The package's own cluster, caches and documentation are not part of a sandbox.
# Nor is LLVM (130 MB): every sandbox runs with jit = off, PostgreSQL skips JIT
# when its provider cannot be loaded, and the vfs storage driver copies the
# whole image for each container, so a smaller image starts faster.
rm -rf "$rootfs/var/lib/postgresql/15" "$rootfs/etc/postgresql/15" \
    "$rootfs"/usr/lib/*-linux-gnu/libLLVM-*.so* "$rootfs"/usr/lib/*-linux-gnu/libz3.so* \
    "$rootfs"/usr/lib/postgresql/15/lib/llvmjit* "$rootfs"/usr/lib/postgresql/15/lib/bitcode \
    "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
install -m 755 "$here/entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"

tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change 'EXPOSE 5432' \
    --change "LABEL $label=$recipe" \
    --message "supabase-sync sandbox: Debian $suite + PostgreSQL 15 (recipe $recipe)" \
    - "$tag" >/dev/null
# The image an older recipe built, now untagged, is of no use any more.
docker image prune --force --filter "label=$label" >/dev/null
echo "built sandbox image $tag (recipe $recipe) in $((SECONDS - started)) s: $(docker image inspect --format '{{ .Size }}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
