// WatermelonDB <-> supabase-sync: pullChanges / pushChanges for synchronize(), over supabase-js.
//
//   import { createSupabaseSync, newUuid } from '@supabase-sync/watermelondb'
//   import { setGenerator } from '@nozbe/watermelondb/utils/common/randomId'
//   setGenerator(newUuid)                       // ids the server's uuid columns accept
//   const sync = createSupabaseSync({ database, supabase })
//   await sync.synchronize()                    // pull (all pages), push, PT409 retried, PT410 resynced
//
// What it translates (the server speaks "schema.table" collections and timestamptz):
// - collection names: WatermelonDB's `task` <-> the server's `public.task` (option `tables`);
// - timestamps: WatermelonDB keeps `created_at` / `updated_at` as epoch milliseconds, the
//   server as timestamptz (ISO strings); other columns with option `timestamps`;
// - paging: sync_pull answers bounded pages (`has_more`), WatermelonDB takes one result per
//   pullChanges, so every page is pulled and merged inside one pullChanges;
// - PT410 (cursor older than the server's retention horizon): pull everything from null and
//   hand it to WatermelonDB as a replacement (`experimentalStrategy: 'replacement'`); the
//   replacement holds every page, so no record of an earlier page is dropped;
// - PT409 (another device changed a row since our cursor): `sync.synchronize()` runs
//   synchronize() again, which pulls the other change, lets WatermelonDB rebase the local
//   edit onto it (local changed columns win) and pushes again;
// - the device: one `client_id` per install, kept in WatermelonDB's localStorage, sent with
//   every pull and push (the server leaves this device's own writes out of its pulls).
import { Q } from '@nozbe/watermelondb'
import { synchronize } from '@nozbe/watermelondb/sync/index.js'

const CLIENT_ID_KEY = 'supabase_sync_client_id'
const WATERMELON_TIMESTAMPS = ['created_at', 'updated_at']
const PLAIN_NAME = /^[a-z_][a-z0-9_]*$/
const MAX_PAGES = 1000000
const MAX_PAGE_SIZE = 100000 // sync_pull's largest page_size
const TRANSPORT_RETRIES = 2

// An error the sync RPCs answered (PostgREST's code, message, details, hint, and the HTTP status).
export class SupabaseSyncError extends Error {
  constructor ({ code, message, details, hint }, status) {
    super(message || `supabase-sync request failed (HTTP ${status})`)
    this.name = 'SupabaseSyncError'
    this.code = code || ''
    this.status = status
    this.details = details ?? null
    this.hint = hint ?? null
    // PT409: {"public.task": ["<id>", ...]}, the rows another device changed since our cursor.
    this.conflicts = this.code === 'PT409' ? parseConflicts(details) : null
  }
}

// A random RFC 4122 version 4 uuid (what the server's uuid id columns accept).
export function newUuid () {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID()
  const bytes = new Uint8Array(16)
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(bytes)
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256)
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

// Options:
// - supabase: a signed-in supabase-js client; database: the WatermelonDB Database;
// - tables: the WatermelonDB tables to sync, as an array (each `name` is the server's
//   `public.name`) or an object { localName: 'schema.table' } (needed for other schemas and for
//   names the server quotes, e.g. { order: 'public."order"' }); default: every table of the schema;
// - timestamps: { localName: ['column', ...] } columns kept as epoch ms locally and timestamptz on
//   the server; default: created_at and updated_at where the table's schema has them as numbers;
// - pageSize: sync_pull's page_size (default: the server's);
// - maxAttempts: how many times synchronize() runs on PT409 before the error is thrown (3).
export function createSupabaseSync ({ supabase, database, tables, timestamps = {}, pageSize, maxAttempts = 3 }) {
  const collections = collectionNames(database, tables)
  const localNames = new Map(Object.entries(collections).map(([local, remote]) => [remote, local]))
  const timestampColumns = Object.fromEntries(
    Object.keys(collections).map((local) => [local, timestamps[local] ?? defaultTimestamps(database, local)])
  )

  async function clientId () {
    let id = await database.localStorage.get(CLIENT_ID_KEY)
    if (!id) {
      id = newUuid()
      await database.localStorage.set(CLIENT_ID_KEY, id)
    }
    return id
  }

  async function rpc (fn, args) {
    const { data, error, status } = await supabase.rpc(fn, args)
    if (error) throw new SupabaseSyncError(error, status)
    return data
  }

  // Every page from `cursor` merged into one WatermelonDB change set, rows converted.
  async function pullAllPages (cursor, device, size = pageSize) {
    const merged = Object.fromEntries(Object.keys(collections).map((local) => [local, new Map()]))
    let timestamp = cursor
    // The echo filter (client_id) leaves out this device's own writes: right for an incremental
    // pull, wrong for the later pages of a pull from null (a resync must bring everything back).
    const echo = cursor == null ? undefined : device
    for (let page = 0; page < MAX_PAGES; page++) {
      const args = { last_pulled_at: timestamp, collections: Object.values(collections), client_id: echo }
      if (size != null) args.page_size = size
      const response = await rpc('sync_pull', args)
      for (const [remote, change] of Object.entries(response.changes)) {
        const local = localNames.get(remote)
        if (local === undefined) continue
        const entries = merged[local]
        // A later page knows better: its version of a row, or its deletion, replaces the earlier one.
        for (const row of [...change.created, ...change.updated]) {
          const raw = fromServer(row, timestampColumns[local])
          entries.set(raw.id, { raw })
        }
        for (const id of change.deleted) entries.set(String(id), { deleted: true })
      }
      timestamp = response.timestamp
      if (!response.has_more) return { changes: await toChangeSet(merged), timestamp }
    }
    throw new Error(`sync_pull did not finish within ${MAX_PAGES} pages`)
  }

  // WatermelonDB logs an error for a `created` record it already has or an `updated` one it
  // lacks; a pull may legitimately repeat rows (docs/protocol.md), and a replacement from null
  // lists everything as created, so each row is classified against the local database.
  async function toChangeSet (merged) {
    const changes = {}
    for (const [local, entries] of Object.entries(merged)) {
      const ids = [...entries.keys()]
      const known = new Set(ids.length ? await localIds(local, ids) : [])
      const set = { created: [], updated: [], deleted: [] }
      for (const [id, entry] of entries) {
        if (entry.deleted) set.deleted.push(id)
        else set[known.has(id) ? 'updated' : 'created'].push(entry.raw)
      }
      changes[local] = set
    }
    return changes
  }

  async function localIds (local, ids) {
    const [live, deleted] = await Promise.all([
      database.get(local).query(Q.where('id', Q.oneOf(ids))).fetchIds(),
      database.adapter.getDeletedRecords(local)
    ])
    return [...live, ...deleted]
  }

  async function pullChanges ({ lastPulledAt }) {
    const device = await clientId()
    const cursor = lastPulledAt ?? null
    try {
      return await pullAllPages(cursor, device)
    } catch (error) {
      if (!(error instanceof SupabaseSyncError) || error.code !== 'PT410') throw error
    }
    // The cursor is older than the server's retention horizon: deletions it relies on are gone.
    // Pull everything (every page) and let WatermelonDB replace what it has with it; local
    // records created and not yet pushed are kept by WatermelonDB and pushed next.
    const everything = await pullFromNull(device)
    return { ...everything, experimentalStrategy: 'replacement' }
  }

  async function pullFromNull (device) {
    try {
      return await pullAllPages(null, device, pageSize)
    } catch (error) {
      if (!(error instanceof SupabaseSyncError) || error.code !== 'PT410') throw error
    }
    // A later page of a pull from null answered PT410: its cursor (a page boundary) lies below
    // the retention horizon, which servers up to supabase-sync 0.1 check it against (a purge
    // during the pull does the same). Pull again in pages as large as the server allows; an
    // account that fits in one page then resyncs whatever the horizon.
    return pullAllPages(null, device, MAX_PAGE_SIZE)
  }

  async function pushChanges ({ changes, lastPulledAt }) {
    const payload = {}
    for (const [local, set] of Object.entries(changes)) {
      if (!set.created.length && !set.updated.length && !set.deleted.length) continue
      const remote = collections[local]
      if (remote === undefined) throw new Error(`pushChanges: ${local} is not a synced table (option tables)`)
      payload[remote] = {
        created: set.created.map((raw) => toServer(raw, timestampColumns[local])),
        updated: set.updated.map((raw) => toServer(raw, timestampColumns[local])),
        deleted: set.deleted
      }
    }
    if (!Object.keys(payload).length) return
    // One push_id per push: a retry after a lost response is applied once by the server.
    const args = { changes: payload, last_pulled_at: lastPulledAt, push_id: newUuid(), client_id: await clientId() }
    for (let attempt = 0; ; attempt++) {
      try {
        await rpc('sync_push', args)
        return
      } catch (error) {
        const transport = error instanceof SupabaseSyncError && error.status === 0
        if (!transport || attempt >= TRANSPORT_RETRIES) throw error
      }
    }
  }

  // synchronize() with these pullChanges/pushChanges; on PT409 it runs again (pull, rebase, push).
  async function sync (args = {}) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await synchronize({ database, pullChanges, pushChanges, ...args })
      } catch (error) {
        if (!(error instanceof SupabaseSyncError) || error.code !== 'PT409' || attempt >= maxAttempts) throw error
      }
    }
  }

  return { pullChanges, pushChanges, synchronize: sync, clientId, collections }
}

function collectionNames (database, tables) {
  const listed = tables ?? Object.keys(database.schema.tables)
  const entries = Array.isArray(listed) ? listed.map((local) => [local, null]) : Object.entries(listed)
  return Object.fromEntries(
    entries.map(([local, remote]) => {
      if (!database.schema.tables[local]) throw new Error(`createSupabaseSync: no table ${local} in the WatermelonDB schema`)
      if (remote) return [local, remote]
      if (!PLAIN_NAME.test(local)) {
        throw new Error(`createSupabaseSync: name the server collection of ${local}, e.g. tables: { ${local}: 'public."${local}"' }`)
      }
      return [local, `public.${local}`]
    })
  )
}

function defaultTimestamps (database, local) {
  const columns = database.schema.tables[local].columns
  return WATERMELON_TIMESTAMPS.filter((name) => columns[name]?.type === 'number')
}

// A server row as WatermelonDB raw: string id, timestamps in ms (sync bookkeeping keys never sent).
function fromServer (row, timestampColumns) {
  const { _status, _changed, ...raw } = row
  raw.id = String(raw.id)
  for (const column of timestampColumns) {
    if (typeof raw[column] === 'string') raw[column] = Date.parse(raw[column])
  }
  return raw
}

// A WatermelonDB raw as the server's row: no _status/_changed, timestamps as ISO strings.
function toServer (raw, timestampColumns) {
  const { _status, _changed, ...row } = raw
  for (const column of timestampColumns) {
    if (typeof row[column] === 'number') row[column] = new Date(row[column]).toISOString()
  }
  return row
}

function parseConflicts (details) {
  try {
    return JSON.parse(details).conflicts ?? null
  } catch {
    return null
  }
}
