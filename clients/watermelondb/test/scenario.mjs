// The WatermelonDB scenario: real @nozbe/watermelondb (LokiJS, in memory) synced through this
// adapter and supabase-js against supabase-sync behind the test suite's PostgREST stand-in.
//
// Run by tests/clients/test_watermelondb.py with SUPABASE_URL, SUPABASE_ANON_KEY and RESULT_PATH
// set. Two devices of ann (phone, laptop) and one of bob: offline creates, same-row edits on
// both devices, deletes, a PT409 forced between a pull and its push (retried by
// sync.synchronize), a purge on the server followed by PT410 and a paged replacement sync.
// Every step checks what a user would see; at the end each device's records are written to
// RESULT_PATH, and the Python test compares them with the server's rows of that user.
import { writeFileSync } from 'node:fs'
import { Database, Model, appSchema, tableSchema } from '@nozbe/watermelondb'
import LokiJSAdapter from '@nozbe/watermelondb/adapters/lokijs/index.js'
import { setGenerator } from '@nozbe/watermelondb/utils/common/randomId/index.js'
import { createClient } from '@supabase/supabase-js'
import ws from 'ws'
import { createSupabaseSync, newUuid, SupabaseSyncError } from '../index.js'

const url = process.env.SUPABASE_URL
const anonKey = process.env.SUPABASE_ANON_KEY
// Small pages, so every pull of the scenario, the replacement included, spans several pages.
const PAGE_SIZE = 2

setGenerator(newUuid)

const schema = appSchema({
  version: 1,
  tables: [
    tableSchema({
      name: 'project',
      columns: [
        { name: 'name', type: 'string' },
        { name: 'color', type: 'string', isOptional: true },
        { name: 'archived', type: 'boolean' },
        { name: 'created_at', type: 'number' },
        { name: 'updated_at', type: 'number' }
      ]
    }),
    tableSchema({
      name: 'task',
      columns: [
        { name: 'project_id', type: 'string', isOptional: true, isIndexed: true },
        { name: 'title', type: 'string' },
        { name: 'notes', type: 'string', isOptional: true },
        { name: 'done', type: 'boolean' },
        { name: 'position', type: 'number' },
        { name: 'created_at', type: 'number' },
        { name: 'updated_at', type: 'number' }
      ]
    })
  ]
})

// Models without decorators (no build step): the createdAt/updatedAt getters are what makes
// WatermelonDB stamp created_at and updated_at itself.
class Project extends Model {
  static table = 'project'
  get createdAt () { return this._getRaw('created_at') }
  get updatedAt () { return this._getRaw('updated_at') }
}
class Task extends Model {
  static table = 'task'
  get createdAt () { return this._getRaw('created_at') }
  get updatedAt () { return this._getRaw('updated_at') }
}

const LokiAdapter = LokiJSAdapter.default ?? LokiJSAdapter

function check (condition, message) {
  if (!condition) throw new Error(`scenario check failed: ${message}`)
}

async function hook (name, body = {}) {
  const response = await fetch(`${url}/_test/${name}`, { method: 'POST', body: JSON.stringify(body) })
  if (!response.ok) throw new Error(`test hook ${name} answered ${response.status}`)
  return response.json()
}

function newDatabase (name) {
  const adapter = new LokiAdapter({
    schema,
    dbName: `${name}-${newUuid()}`,
    useWebWorker: false,
    useIncrementalIndexedDB: false,
    extraLokiOptions: { autosave: false }
  })
  return new Database({ adapter, modelClasses: [Project, Task] })
}

// One install of the app: its own WatermelonDB and its own signed-in supabase-js client.
async function device (name, account) {
  const database = newDatabase(name)
  const supabase = createClient(url, anonKey, {
    realtime: { transport: ws },
    auth: { persistSession: false, autoRefreshToken: false }
  })
  const { error } = await supabase.auth.signInWithPassword({ email: account.email, password: account.password })
  if (error) throw error
  // Every RPC's outcome, to show the PT409 and PT410 really happened.
  const calls = []
  const recording = {
    rpc: async (fn, args) => {
      const response = await supabase.rpc(fn, args)
      calls.push({ fn, status: response.status, code: response.error?.code ?? null })
      return response
    }
  }
  const sync = createSupabaseSync({ supabase: recording, database, tables: ['project', 'task'], pageSize: PAGE_SIZE })
  return { name, account, database, sync, calls }
}

const write = (dev, action) => dev.database.write(action)

function create (dev, table, values) {
  return write(dev, () => dev.database.get(table).create((record) => {
    for (const [column, value] of Object.entries(values)) record._setRaw(column, value)
  }))
}

async function edit (dev, table, id, values) {
  const record = await dev.database.get(table).find(id)
  await write(dev, () => record.update((r) => {
    for (const [column, value] of Object.entries(values)) r._setRaw(column, value)
  }))
}

async function remove (dev, table, id) {
  const record = await dev.database.get(table).find(id)
  await write(dev, () => record.markAsDeleted())
}

async function rows (dev, table) {
  const records = await dev.database.get(table).query().fetch()
  return Object.fromEntries(records.map((r) => {
    const { _status, _changed, ...raw } = r._raw
    return [r.id, raw]
  }))
}

async function title (dev, id) {
  return (await dev.database.get('task').find(id))._raw.title
}

const sawError = (dev, code) => dev.calls.some((call) => call.code === code)

const ann = await hook('create_user', { name: 'ann' })
const bob = await hook('create_user', { name: 'bob' })
const phone = await device('phone', ann)
const laptop = await device('laptop', ann)
const bobPhone = await device('bob-phone', bob)

// 1. Offline creates on every device, then a first sync of each.
const groceries = await create(phone, 'project', { name: 'Groceries', archived: false })
const milk = await create(phone, 'task', { project_id: groceries.id, title: 'milk', done: false, position: 1 })
const bread = await create(phone, 'task', { project_id: groceries.id, title: 'bread', done: false, position: 2 })
const eggs = await create(phone, 'task', { project_id: groceries.id, title: 'eggs', done: false, position: 3 })
const work = await create(laptop, 'project', { name: 'Work', color: 'blue', archived: false })
const report = await create(laptop, 'task', { project_id: work.id, title: 'report', done: false, position: 1 })
const garden = await create(bobPhone, 'project', { name: "Bob's garden", archived: false })
await create(bobPhone, 'task', { project_id: garden.id, title: 'water', done: false, position: 1 })
check(milk.id.length === 36, 'ids are uuids')

for (const dev of [phone, laptop, bobPhone, phone, laptop]) await dev.sync.synchronize()
check(Object.keys(await rows(laptop, 'task')).length === 4, 'the laptop has the phone\'s tasks and its own')
check(Object.keys(await rows(phone, 'project')).length === 2, 'the phone has the laptop\'s project')
check(Object.keys(await rows(bobPhone, 'task')).length === 1, 'bob sees only his own task')
const pulledMilk = (await rows(laptop, 'task'))[milk.id]
check(pulledMilk.created_at === milk._raw.created_at, 'created_at travels as ms and back exactly')
check(phone.calls.some((c) => c.fn === 'sync_pull' && c.status === 200), 'pulls went through')

// 2. The same row edited on both devices: the first to sync wins the columns it changed, the
//    second rebases on it during its pull (its own changed columns win) and pushes.
await edit(phone, 'task', milk.id, { title: 'oat milk' })
await edit(laptop, 'task', milk.id, { done: true, position: 10 })
await edit(laptop, 'task', bread.id, { title: 'sourdough' })
await edit(phone, 'task', bread.id, { title: 'rye bread' })
await phone.sync.synchronize()
await laptop.sync.synchronize()
await phone.sync.synchronize()
const phoneMilk = (await rows(phone, 'task'))[milk.id]
check(phoneMilk.title === 'oat milk' && phoneMilk.done === true && phoneMilk.position === 10, 'both edits of milk kept')
check(await title(phone, bread.id) === 'sourdough', 'the later sync of the same column wins on both devices')

// 3. Deletes travel: the phone deletes eggs, the laptop loses it.
await remove(phone, 'task', eggs.id)
await phone.sync.synchronize()
await laptop.sync.synchronize()
check(!((await rows(laptop, 'task'))[eggs.id]), 'the laptop dropped the deleted task')

// 4. A forced PT409: between the laptop's pull and its push, the phone changes the same row.
await edit(laptop, 'task', report.id, { title: 'report (laptop)' })
let interleaved = false
await laptop.sync.synchronize({
  onWillApplyRemoteChanges: async () => {
    if (interleaved) return
    interleaved = true
    await edit(phone, 'task', report.id, { notes: 'from the phone' })
    await phone.sync.synchronize()
  }
})
check(sawError(laptop, 'PT409'), 'the laptop\'s first push answered PT409')
const pushes = laptop.calls.filter((c) => c.fn === 'sync_push')
check(pushes.at(-1).status === 200, 'the retried push went through')
await phone.sync.synchronize()
const phoneReport = (await rows(phone, 'task'))[report.id]
check(phoneReport.title === 'report (laptop)' && phoneReport.notes === 'from the phone', 'both edits of report kept')

// A PT409 that keeps happening is thrown after maxAttempts, as a SupabaseSyncError naming the
// rows (a server stub here: a conflict the real server would never keep answering).
const stubbed = { pushes: 0 }
const stub = {
  rpc: async (fn) => {
    if (fn === 'sync_pull') return { data: { changes: {}, timestamp: 5, has_more: false }, error: null, status: 200 }
    stubbed.pushes += 1
    return { data: null, error: { code: 'PT409', message: 'conflict', details: '{"conflicts": {"public.task": ["x"]}}' }, status: 409 }
  }
}
const lonely = { database: newDatabase('stub') }
const stubborn = createSupabaseSync({ supabase: stub, database: lonely.database, tables: ['task'], maxAttempts: 2 })
await create(lonely, 'task', { title: 'never pushed', done: false, position: 9 })
let thrown = null
try { await stubborn.synchronize() } catch (error) { thrown = error }
check(thrown instanceof SupabaseSyncError && thrown.code === 'PT409' && thrown.status === 409, 'a lasting conflict is thrown')
check(thrown.conflicts['public.task'][0] === 'x' && stubbed.pushes === 2, 'after maxAttempts, naming the rows')

// 5. A purge on the server moves the retention horizon past every cursor: each device's next
//    pull answers PT410 and the adapter replaces its records with a full pull (paged: every
//    page kept), local unpushed work included.
await remove(laptop, 'task', bread.id)
await laptop.sync.synchronize()
await new Promise((resolve) => setTimeout(resolve, 20))
const purged = await hook('purge')
check(purged.tombstones + Object.values(purged.rows).reduce((a, b) => a + b, 0) > 0, 'the purge removed deletions')
const offline = await create(phone, 'task', { project_id: work.id, title: 'written offline before the resync', done: false, position: 7 })
await edit(phone, 'task', milk.id, { notes: 'edited before the resync' })
for (const dev of [phone, laptop, bobPhone]) {
  const before = dev.calls.length
  await dev.sync.synchronize()
  const during = dev.calls.slice(before)
  check(during.some((c) => c.code === 'PT410'), `${dev.name} got PT410`)
}
for (const dev of [phone, laptop, bobPhone, phone]) await dev.sync.synchronize()
check((await rows(laptop, 'task'))[offline.id]?.title === 'written offline before the resync', 'offline work survived the resync')
check((await rows(laptop, 'task'))[milk.id].notes === 'edited before the resync', 'an offline edit survived the resync')
check(Object.keys(await rows(laptop, 'project')).length === 2, `the replacement kept every page (projects: ${JSON.stringify(Object.values(await rows(laptop, 'project')).map((p) => p.name))})`)

// 6. A replacement spanning pages keeps every page (a server stub, so the pages are exactly
//    these): the device had `kept`, `gone` (no longer on the server) and `unpushed` (created
//    offline); the server answers PT410, then two pages from null.
const paged = { database: newDatabase('paged') }
const kept = await create(paged, 'task', { title: 'kept', done: false, position: 1 })
const gone = await create(paged, 'task', { title: 'gone', done: false, position: 2 })
const fresh = newUuid()
const serverRow = (id, title) => ({ id, title, done: false, position: 0, created_at: '2025-01-02T03:04:05.678+00:00', updated_at: null, server_version: '7' })
let phase = 'first sync'
const pagedServer = {
  rpc: async (fn, args) => {
    if (fn === 'sync_push') return { data: { applied: {} }, error: null, status: 200 }
    if (phase === 'first sync') return { data: { changes: {}, timestamp: 10, has_more: false }, error: null, status: 200 }
    if (args.last_pulled_at === 10) return { data: null, error: { code: 'PT410', message: 'supabase_sync: cursor too old' }, status: 410 }
    const pages = {
      null: { changes: { 'public.task': { created: [serverRow(kept.id, 'kept, as the server has it')], updated: [], deleted: [] } }, timestamp: 20, has_more: true },
      20: { changes: { 'public.task': { created: [serverRow(fresh, 'only on the server')], updated: [], deleted: [] } }, timestamp: 30, has_more: false }
    }
    return { data: pages[args.last_pulled_at], error: null, status: 200 }
  }
}
const pagedSync = createSupabaseSync({ supabase: pagedServer, database: paged.database, tables: ['task'] })
await pagedSync.synchronize()
phase = 'resync'
const unpushed = await create(paged, 'task', { title: 'unpushed', done: false, position: 3 })
await pagedSync.synchronize()
const afterResync = await rows(paged, 'task')
check(afterResync[kept.id]?.title === 'kept, as the server has it', 'the first page of the replacement is kept')
check(afterResync[fresh]?.title === 'only on the server', 'the second page of the replacement is applied')
check(afterResync[fresh].created_at === Date.parse('2025-01-02T03:04:05.678Z'), 'timestamps arrive as ms')
check(!afterResync[gone.id], 'a record the server no longer has is dropped')
check(afterResync[unpushed.id]?.title === 'unpushed', 'a record created offline survives the replacement')

const devices = {}
for (const dev of [phone, laptop, bobPhone]) {
  devices[dev.name] = { user_id: dev.account.id, project: await rows(dev, 'project'), task: await rows(dev, 'task') }
}
writeFileSync(process.env.RESULT_PATH, JSON.stringify({ devices, calls: { phone: phone.calls, laptop: laptop.calls, bob: bobPhone.calls } }))
process.exit(0)
