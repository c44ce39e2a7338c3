// supabase-js against supabase-sync through the test suite's stand-in for PostgREST.
//
// Run by tests/clients/test_supabase_js.py with SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_SERVICE_KEY
// set; prints one JSON object: for each scenario, what supabase-js reported
// (error.code, the HTTP status, message, details), which the Python test checks
// against docs/protocol.md's error table. Node 20 has no global WebSocket, so the
// client is made with the `ws` transport, as on any Node 20 server.
import { createClient } from '@supabase/supabase-js'
import ws from 'ws'
import { randomUUID } from 'node:crypto'

const url = process.env.SUPABASE_URL
const anonKey = process.env.SUPABASE_ANON_KEY
const serviceKey = process.env.SUPABASE_SERVICE_KEY
const options = { realtime: { transport: ws }, auth: { persistSession: false, autoRefreshToken: false } }

async function hook (name, body = {}) {
  const response = await fetch(`${url}/_test/${name}`, { method: 'POST', body: JSON.stringify(body) })
  if (!response.ok) throw new Error(`test hook ${name} answered ${response.status}`)
  return response.json()
}

async function signedIn (name) {
  const user = await hook('create_user', { name })
  const client = createClient(url, anonKey, options)
  const { data, error } = await client.auth.signInWithPassword({ email: user.email, password: user.password })
  if (error) throw error
  if (data.user.id !== user.id) throw new Error('signed in as the wrong user')
  return { client, id: user.id }
}

// Call an RPC that must succeed; return its data.
async function ok (client, fn, args) {
  const { data, error } = await client.rpc(fn, args)
  if (error) throw new Error(`${fn} failed: ${JSON.stringify(error)}`)
  return data
}

// Call an RPC expected to fail; return what supabase-js reports.
async function failure (client, fn, args) {
  const { data, error, status } = await client.rpc(fn, args)
  if (!error) throw new Error(`${fn} succeeded unexpectedly: ${JSON.stringify(data)}`)
  return { code: error.code, status, message: error.message, details: error.details, hint: error.hint }
}

const pushError = (changes) => async () => {
  const ann = await signedIn('ann')
  return failure(ann.client, 'sync_push', { changes })
}

const scenarios = {
  '22023 unknown collection': pushError({ 'auth.users': { created: [] } }),
  '22023 page_size out of range': async () => {
    const ann = await signedIn('ann')
    return failure(ann.client, 'sync_pull', { page_size: 0 })
  },
  // The example's tasks belong to a project (a scope): these use projects and members instead.
  '22P02 bad value': pushError({ 'public.project': { created: [{ id: randomUUID(), name: 'p', archived: 'maybe' }] } }),
  '23502 null in a not null column': pushError({ 'public.project': { created: [{ id: randomUUID(), name: null }] } }),
  '23503 parent row missing': async () => {
    const ann = await signedIn('ann')
    const project = { id: randomUUID(), name: 'shared' }
    await ok(ann.client, 'sync_push', { changes: { 'public.project': { created: [project] } } })
    const grant = { id: randomUUID(), project_id: project.id, user_id: randomUUID(), role: 'viewer' }
    return failure(ann.client, 'sync_push', { changes: { 'public.project_member': { created: [grant] } } })
  },
  '42501 service_role': async () => failure(createClient(url, serviceKey, options), 'sync_push', {
    changes: { 'public.project': { created: [{ id: randomUUID(), name: 'p' }] } }
  }),
  '42501 anon': async () => failure(createClient(url, anonKey, options), 'sync_pull', {}),
  'PT409 conflict': async () => {
    const ann = await signedIn('ann')
    const phone = randomUUID()
    const laptop = randomUUID()
    const row = { id: randomUUID(), name: 'shared' }
    await ok(ann.client, 'sync_push', { changes: { 'public.project': { created: [row] } }, client_id: phone })
    const { timestamp } = await ok(ann.client, 'sync_pull', { client_id: laptop })
    await ok(ann.client, 'sync_push', {
      changes: { 'public.project': { updated: [{ id: row.id, name: 'phone' }] } }, client_id: phone
    })
    const conflict = await failure(ann.client, 'sync_push', {
      changes: { 'public.project': { updated: [{ id: row.id, name: 'laptop' }] } },
      last_pulled_at: timestamp,
      client_id: laptop
    })
    // What the client does next: pull, then push again.
    const pulled = await ok(ann.client, 'sync_pull', { last_pulled_at: timestamp, client_id: laptop })
    conflict.pulled_after_conflict = pulled.changes['public.project'].updated.map((r) => r.name)
    const retried = await ok(ann.client, 'sync_push', {
      changes: { 'public.project': { updated: [{ id: row.id, name: 'laptop' }] } },
      last_pulled_at: pulled.timestamp,
      client_id: laptop
    })
    conflict.retry_applied = retried.applied['public.project'].updated
    return conflict
  },
  'PT410 cursor too old': async () => {
    const ann = await signedIn('ann')
    const row = { id: randomUUID(), name: 'to delete' }
    await ok(ann.client, 'sync_push', { changes: { 'public.project': { created: [row] } } })
    const { timestamp } = await ok(ann.client, 'sync_pull', {})
    await ok(ann.client, 'sync_push', { changes: { 'public.project': { deleted: [row.id] } } })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await hook('purge')
    return failure(ann.client, 'sync_pull', { last_pulled_at: timestamp })
  }
}

async function happyPath () {
  const ann = await signedIn('ann')
  const projectId = randomUUID()
  const taskId = randomUUID()
  const pushed = await ok(ann.client, 'sync_push', {
    changes: {
      'public.project': { created: [{ id: projectId, name: 'Groceries' }] },
      'public.task': { created: [{ id: taskId, project_id: projectId, title: 'milk', _status: 'created' }] }
    },
    push_id: randomUUID(),
    client_id: randomUUID()
  })
  const page = await ok(ann.client, 'sync_pull', { last_pulled_at: null, collections: ['public.project', 'public.task'] })
  const next = await ok(ann.client, 'sync_pull', { last_pulled_at: page.timestamp })
  return {
    applied: pushed.applied,
    ignored_columns: pushed.ignored_columns,
    pulled_task_ids: page.changes['public.task'].created.map((r) => r.id),
    pulled_owner: page.changes['public.task'].created[0].user_id,
    owner: ann.id,
    timestamp_is_safe_integer: Number.isSafeInteger(page.timestamp),
    has_more: page.has_more,
    next_task_changes: next.changes['public.task'],
    task_id: taskId
  }
}

const results = { happy_path: await happyPath(), errors: {} }
for (const [name, scenario] of Object.entries(scenarios)) {
  results.errors[name] = await scenario()
}
console.log(JSON.stringify(results))
