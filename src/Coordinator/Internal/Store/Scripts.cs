namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Every state transition of a task is one of these scripts. Each declares every key it touches
/// in KEYS, and all keys share one hash tag, so they run atomically on Redis, Redis Cluster and Garnet.
/// </summary>
/// <remarks>
/// A task is a few hash fields under its id: its header in the headers hash,
/// "state|attempt|session|name|worker|lost|failed" (state q = queued, l = leased, r = waiting to
/// retry, d = delayed: not due yet), its JSON arguments, and — only when set — its policy and its errors so far. A finished,
/// cancelled or dead-lettered task has none of them; its id may linger in a queue list as a
/// tombstone that leasing skips. Every task script starts with the same seven keys (see
/// <see cref="TaskStore"/>): headers, args, policies, name policies, errors, delayed, dead letters.
/// The name policies hash also counts each queue's tombstones (Cancel adds one, leasing takes one
/// off as it skips it), under the queue's key as field: no task name starts with '{'. A queue holds
/// its length less that count.
/// </remarks>
internal static class Scripts
{
    internal const string Prelude = """
        local unpack = table.unpack or unpack
        local H, A, P, NP, E, D, DEAD = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
        -- maxAttempts|maxLostRuns|backoffMs|backoffMaxMs|softTimeoutMs|hardTimeoutMs|retryOn
        local DEFAULT_POLICY = '1|3|1000|60000|0|0|'
        -- The store's clock, read once per script run: a run takes microseconds, and each call costs one.
        local clock_ms = nil
        local function now_ms()
          if not clock_ms then
            local t = redis.call('TIME')
            clock_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          end
          return clock_ms
        end
        -- One call per 1,000 values (500 field/value pairs), not one per task: unpack has limits.
        local function each_chunk(cmd, key, list)
          for s = 1, #list, 1000 do
            redis.call(cmd, key, unpack(list, s, math.min(s + 999, #list)))
          end
        end
        local function hmget(key, ids, cmd)
          local out = {}
          for s = 1, #ids, 1000 do
            local got = redis.call(cmd or 'HMGET', key, unpack(ids, s, math.min(s + 999, #ids)))
            for j = 1, #got do out[s + j - 1] = got[j] end
          end
          return out
        end
        -- A session scoped by its identity ("name|session") holds the one '|' a field may hold:
        -- names, workers and counters never do, so it is whatever lies between the fixed fields.
        -- The fields of the header parsed last are kept: a batch's tasks mostly share one header (one
        -- client's queued tasks, one worker's leased ones), so a batch is parsed once, not per task.
        local parsed, p_st, p_at, p_se, p_nm, p_wk, p_lost, p_failed = nil
        local function parse(h)
          if h ~= parsed then
            local st, at, se, nm, wk, lost, failed = string.match(h, '^(%a)|(%d+)|([^|]*)|([^|]*)|([^|]*)|(%d+)|(%d+)$')
            if not st then
              st, at, se, nm, wk, lost, failed = string.match(h, '^(%a)|(%d+)|(.*)|([^|]*)|([^|]*)|(%d+)|(%d+)$')
            end
            parsed, p_st, p_at, p_se, p_nm, p_wk, p_lost, p_failed = h, st, at, se, nm, wk, tonumber(lost), tonumber(failed)
          end
          return p_st, p_at, p_se, p_nm, p_wk, p_lost, p_failed
        end
        -- The header built last is kept too: consecutive tasks of a batch mostly get the same one, so
        -- a batch builds one string, not one per task.
        local built, b_st, b_at, b_se, b_nm, b_wk, b_lost, b_failed = nil
        local function header(st, at, se, nm, wk, lost, failed)
          if not (built and st == b_st and at == b_at and se == b_se and nm == b_nm and wk == b_wk and lost == b_lost and failed == b_failed) then
            built = st .. '|' .. at .. '|' .. se .. '|' .. nm .. '|' .. wk .. '|' .. lost .. '|' .. failed
            b_st, b_at, b_se, b_nm, b_wk, b_lost, b_failed = st, at, se, nm, wk, lost, failed
          end
          return built
        end
        -- The leased tasks as the coordinator reads them from a lease: (id, args) per task, and before
        -- each run of tasks that share their name, attempt, session and policy, ('', name, attempt,
        -- session, policy) (no task id is empty). A lease's tasks mostly share them, and each element
        -- of a reply costs the store and the coordinator more than its bytes do.
        local a_out, a_nm, a_at, a_se, a_pol = nil
        local function assigned(out, id, nm, args, at, se, pol)
          if out ~= a_out or nm ~= a_nm or at ~= a_at or se ~= a_se or pol ~= a_pol then
            a_out, a_nm, a_at, a_se, a_pol = out, nm, at, se, pol
            out[#out + 1] = ''
            out[#out + 1] = nm
            out[#out + 1] = at
            out[#out + 1] = se
            out[#out + 1] = pol
          end
          out[#out + 1] = id
          out[#out + 1] = args
        end
        local function policy(id, nm)
          local raw = redis.call('HGET', P, id) or redis.call('HGET', NP, nm) or DEFAULT_POLICY
          local ma, ml, b, bm, soft, hard, retry = string.match(raw, '^(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(.*)$')
          return { raw = raw, maxAttempts = tonumber(ma), maxLost = tonumber(ml), backoff = tonumber(b), backoffMax = tonumber(bm), retryOn = retry }
        end
        local function retries(p, errtype)
          if p.retryOn == '*' then return true end
          return string.find(',' .. p.retryOn .. ',', ',' .. errtype .. ',', 1, true) ~= nil
        end
        -- A traced task keeps its trace context in the policies hash under "<id> t" (no id holds a space),
        -- a task waiting for its inputs their count and ids under "<id> w" (GraphScripts).
        local function forget(id)
          redis.call('HDEL', H, id)
          redis.call('HDEL', A, id)
          redis.call('HDEL', P, id, id .. ' t', id .. ' o', id .. ' w')
          redis.call('HDEL', E, id)
        end
        local function add_error(id, json)
          local errors = redis.call('HGET', E, id)
          if errors then errors = string.sub(errors, 1, -2) .. ',' .. json .. ']' else errors = '[' .. json .. ']' end
          redis.call('HSET', E, id, errors)
          return errors
        end
        -- Takes n numbers of a session's completion sequence; returns the last. The counter expires
        -- with its outbox, after the session was idle for the retention; a new one (or one the store
        -- lost) starts from the store's clock in ms x 1000, above any number the old one gave while
        -- it wrote fewer than 1,000 completions per ms: the sequence only grows for the session's
        -- whole life, so a client's cursor is never ahead of it (2^53, exact in a score, is year 2255).
        -- A counter more than 0.5 s behind the clock jumps to it too (a gap, which costs the stream
        -- one read of the outbox, at most twice a second): a replica promoted without its master's
        -- last increments (Redis Cluster replicates asynchronously) takes over after the node
        -- timeout, so its first number is above every number the lost writes gave out.
        local function next_seq(seqkey, n, ttl)
          local last = redis.call('INCRBY', seqkey, n)
          local clock = now_ms() * 1000
          if last - n < clock - 500000 then
            last = clock + n
            redis.call('SET', seqkey, string.format('%d', last))
          end
          redis.call('EXPIRE', seqkey, ttl)
          return last
        end
        local function emit(outbox, seqkey, ttl, entry)
          local seq = next_seq(seqkey, 1, ttl)
          redis.call('ZADD', outbox, string.format('%d', seq), entry)
          redis.call('EXPIRE', outbox, ttl)
        end
        -- Keeps the completions of finished tasks (id -> completion as the outbox holds it) for the
        -- retention, so any client of the same identity can attach to one (Tasks.Attach): one hash
        -- field per task and its id in an index by time, trimmed (at most 1,000 a call) as it is written.
        -- The index is also what refuses a submit of a finished id (a dead letter's is refused by the
        -- dead letters), so a retried submit never runs a task twice.
        local function keep_results(rkey, rindex, pairs_, ttl)
          if #pairs_ == 0 then return end
          local now = now_ms()
          local at = string.format('%d', now)
          local index = {}
          for j = 1, #pairs_, 2 do
            index[j] = at
            index[j + 1] = pairs_[j]
          end
          each_chunk('HSET', rkey, pairs_)
          each_chunk('ZADD', rindex, index)
          local old = redis.call('ZRANGEBYSCORE', rindex, '-inf', '(' .. string.format('%d', now - ttl * 1000), 'LIMIT', 0, 1000)
          if #old > 0 then
            redis.call('HDEL', rkey, unpack(old))
            redis.call('ZREM', rindex, unpack(old))
          end
        end
        -- A dead letter an admin put back in its queue (Resurrect) is in the set of revived ids: its
        -- client's future resolved with the dead letter, so its later outcome is recorded as any
        -- other's but writes no second completion to the outbox (a future resolves exactly once).
        -- The outcome that ends it takes it out of the set; true when it was there. No set: false.
        local function revived(rv, id)
          return rv ~= nil and redis.call('SREM', rv, id) == 1
        end
        -- Over its bound: the task goes to the dead letters with every attempt's error, and its
        -- client gets a completion ('D' + JSON) that says so, unless quiet (a revived task's client
        -- had one). A script that dead-letters passes the dead letters' index (ids by time, to page
        -- and expire them) as its last key.
        local function dead_letter(id, at, se, nm, wk, reason, errors, outbox, seqkey, ttl, quiet)
          -- A JSON string of s: cjson.encode leaves control characters raw on Garnet, and a task's
          -- arguments may hold any byte; escaped, so the dead letter is JSON every reader takes.
          local function json_string(s)
            return (string.gsub(cjson.encode(s), '%c', function(c) return string.format('\\u%04x', string.byte(c)) end))
          end
          local args = redis.call('HGET', A, id) or '[]'
          local now = now_ms()
          -- a task of another queue or priority keeps its place in the order, for a requeue
          local order = redis.call('HGET', P, id .. ' o')
          redis.call('HSET', DEAD, id, '{"id":' .. cjson.encode(id) .. ',"name":' .. cjson.encode(nm) .. ',"session":' .. cjson.encode(se)
            .. ',"attempt":' .. at .. ',"reason":' .. cjson.encode(reason) .. ',"at":' .. now .. ',"args":' .. json_string(args) .. ',"errors":' .. errors
            .. (order and (',"order":' .. cjson.encode(order)) or '') .. '}')
          redis.call('ZADD', KEYS[#KEYS], now, id)
          if not quiet then
            emit(outbox, seqkey, ttl, 'D{"taskId":' .. cjson.encode(id) .. ',"attempt":' .. at .. ',"worker":' .. cjson.encode(wk)
              .. ',"reason":' .. cjson.encode(reason) .. ',"errors":' .. errors .. '}')
          end
          forget(id)
        end
        -- LPOP with a count answers a bare string for one element on Garnet, a table on Redis.
        local function lpop(q, n)
          local r = redis.call('LPOP', q, n)
          if type(r) == 'string' then return { r } end
          return r
        end
        -- The order of a task name's ready tasks. A route is a task name (its default queue) or
        -- "name|queue"; each route's ready tasks are in its queue key, in one of two forms.
        -- While they are all of one session and of priority 5 (one client's plain tasks, the common
        -- case) the key is a list, first in first out, and its session is kept in the name policies
        -- hash under "<queue key> l": RPUSH in, LPOP out, as cheap as a queue can be. The first task
        -- of another session or priority turns the list into a sorted set (its tasks first, in
        -- order), and the key stays one until it drains; then the next task starts a list again.
        -- The sorted set is scored so that ZPOPMIN takes tasks in order:
        -- score = virtual time + (9 - priority) x PRIORITY_STEP.
        -- Virtual time gives fair share between sessions: a session's next task of a priority
        -- takes max(the route's virtual time, that session's last of that priority) + 1, and the
        -- route's virtual time is the highest leased so far (kept in the name policies hash under
        -- "<queue key> v"; a session's last under "<queue key> s <priority> <session>", dropped when
        -- that task is leased). So each session with tasks waiting gets one task per round, a
        -- backlog of one session delays another's task by about one task per session, and one
        -- session alone is plain FIFO. A priority level is a head start of PRIORITY_STEP rounds:
        -- strict between backlogs shorter than that, and a lower priority waits at most that many
        -- rounds per level behind later higher ones: it cannot starve.
        -- A task not of its name's default queue and priority 5 keeps "queue|priority" in the
        -- policies hash under "<id> o".
        local PRIORITY_STEP = 100000
        local function order_of(id)
          local o = redis.call('HGET', P, id .. ' o')
          if not o then return '', 5 end
          local q, p = string.match(o, '^([^|]*)|(%d)$')
          return q, tonumber(p)
        end
        local function route_of(nm, queue)
          if queue == '' then return nm end
          return nm .. '|' .. queue
        end
        -- The form of queue key q: 'list', 'zset' or 'none' (TYPE answers a status table on Redis).
        local function kind(q)
          local t = redis.call('TYPE', q)
          if type(t) == 'table' then t = t['ok'] end
          return t
        end
        -- How many ids queue key q holds, tombstones included.
        local function qlen(q)
          local t = kind(q)
          if t == 'list' then return redis.call('LLEN', q) end
          if t == 'zset' then return redis.call('ZCARD', q) end
          return 0
        end
        -- Puts (id, session, priority) per task into the sorted set q, after the tasks already there
        -- of its session and priority; with front, ahead of every task waiting of its priority.
        local function zenqueue(q, tasks, front)
          local vt = tonumber(redis.call('HGET', NP, q .. ' v') or '0')
          local entries, last = {}, {}
          for _, t in ipairs(tasks) do
            local at = vt
            if not front then
              local field = q .. ' s ' .. t[3] .. ' ' .. t[2]
              local l = last[field]
              if not l then l = tonumber(redis.call('HGET', NP, field) or '0') end
              at = math.max(l, vt) + 1
              last[field] = at
            end
            entries[#entries + 1] = string.format('%d', at + (9 - t[3]) * PRIORITY_STEP)
            entries[#entries + 1] = t[1]
          end
          for field, l in pairs(last) do redis.call('HSET', NP, field, string.format('%d', l)) end
          each_chunk('ZADD', q, entries)
        end
        -- A task becomes ready: (id, session, priority) per task goes into queue key q, after the
        -- tasks waiting of its session and priority; with front, ahead of them (a task handed back
        -- unstarted, or requeued after its worker vanished). Every step that makes a task ready goes
        -- through here: a submit, the promotion of a delayed task or of a retry whose backoff
        -- passed, a requeue, an admin's requeue of a dead letter.
        local function enqueue(q, tasks, front)
          if #tasks == 0 then return end
          local se = tasks[1][2]
          local plain = true
          for _, t in ipairs(tasks) do
            if t[3] ~= 5 or t[2] ~= se then plain = false break end
          end
          local function push()
            local ids = {}
            if front then
              for x = #tasks, 1, -1 do ids[#ids + 1] = tasks[x][1] end
              each_chunk('LPUSH', q, ids)
            else
              for x, t in ipairs(tasks) do ids[x] = t[1] end
              each_chunk('RPUSH', q, ids)
            end
          end
          -- the owner is kept only while the key is a list or empty, never a sorted set: its own
          -- plain tasks go straight in, with no look at the key's form
          local owner = redis.call('HGET', NP, q .. ' l')
          if plain and owner == se then
            push()
            return
          end
          local form = kind(q)
          if form ~= 'zset' then
            if plain and form ~= 'list' then
              push()
              redis.call('HSET', NP, q .. ' l', se)
              return
            end
            if form == 'list' then
              -- another session or priority: the list becomes the sorted set, its tasks first
              local held = redis.call('LRANGE', q, 0, -1)
              redis.call('DEL', q)
              local moved = {}
              for x, id in ipairs(held) do moved[x] = { id, owner or '', 5 } end
              zenqueue(q, moved)
            end
          end
          if owner then redis.call('HDEL', NP, q .. ' l') end
          zenqueue(q, tasks, front)
        end
        -- Takes up to n of the first ready ids of queue key q: (ids, scores — nil for a list), or nil
        -- when it is empty.
        -- listed: the key has an owner, so it is a list or empty.
        local function take(q, n, listed)
          local form = listed and 'list' or kind(q)
          if form == 'list' then
            local r = lpop(q, n)
            if not r or #r == 0 then return nil end
            return r, nil
          end
          if form ~= 'zset' then return nil end
          local r = redis.call('ZPOPMIN', q, n)
          if not r or #r == 0 then return nil end
          local ids, scores = {}, {}
          for x = 1, #r, 2 do
            ids[#ids + 1] = r[x]
            scores[#scores + 1] = tonumber(r[x + 1])
          end
          return ids, scores
        end
        -- After a lease took tasks from q, each (session, virtual time, priority): the route's
        -- virtual time moves on to the highest taken, and a session's last of a priority is
        -- forgotten once it was taken.
        local function advance(q, took)
          local vt = tonumber(redis.call('HGET', NP, q .. ' v') or '0')
          local high = vt
          local fields, upto = {}, {}
          for _, t in ipairs(took) do
            if t[2] > high then high = t[2] end
            local field = q .. ' s ' .. t[3] .. ' ' .. t[1]
            if not upto[field] then fields[#fields + 1] = field end
            if not upto[field] or t[2] > upto[field] then upto[field] = t[2] end
          end
          if high > vt then redis.call('HSET', NP, q .. ' v', string.format('%d', high)) end
          local lasts = redis.call('HMGET', NP, unpack(fields))
          for x, field in ipairs(fields) do
            if lasts[x] and tonumber(lasts[x]) <= upto[field] then redis.call('HDEL', NP, field) end
          end
        end
        -- A task name's rate limit: "count|intervalMs|burst" in the name policies hash under
        -- "<name> r" (written from the policy a worker registers: on a store of S shards the interval
        -- is S times the limit's, so the shards' buckets together refill at the limit), and its
        -- token bucket, "tokens|ms", under "<name> b": it refills at count per interval and holds at
        -- most burst tokens (a tenth of the limit's count, shared by the shards, at least one), so no
        -- window of the limit's interval holds more than its count plus the burst; each task leased
        -- takes a token. Returns how many of the name's tasks may start now (want when it has no limit),
        -- then, for a limited name, the name, its tokens and the ms one token takes to come.
        -- nm is the name, limit what the name policies hold under "<name> r".
        local function tokens(nm, limit, want, now)
          if not limit then return want, nil end
          local count, interval, burst = string.match(limit, '^(%d+)|(%d+)|?(%d*)$')
          count, interval = tonumber(count), tonumber(interval)
          local state = redis.call('HGET', NP, nm .. ' b')
          local cap = tonumber(burst) or math.max(1, math.ceil(count / 10))
          local have = cap
          if state then
            local t, m = string.match(state, '^([%d.]+)|(%d+)$')
            have = math.min(cap, tonumber(t) + math.max(0, now - tonumber(m)) * count / interval)
          end
          return math.max(0, math.min(want, math.floor(have))), nm, have, interval / count
        end
        -- Leases up to want queued tasks to worker from the queues KEYS[first .. first + nq - 1],
        -- starting at the rotation; leasedkey is the worker's leased set. One lease carries at most
        -- LEASE_BYTES of arguments (always at least one task): past them, the ids taken from a
        -- queue and not yet looked at go back to its head, in order.
        -- Returns the leased tasks as assigned() puts them, then '+' when the
        -- byte bound stopped it (there may be more), then, only when some leased task is traced, a
        -- list of (position of the task from 0, its stored trace context).
        local LEASE_BYTES = 4194304
        -- How many tasks' arguments a lease reads with one call (a call per task costs a call's
        -- overhead per task); the script may hold at most this many tasks' arguments past the bound.
        local ARGS_CHUNK = 16
        local function lease(worker, want, rotation, first, nq, leasedkey)
          local start = rotation % nq
          local ids, parts, args = {}, {}, {}
          local bytes, full = 0, false
          -- looked up once: does any task keep a policy of its own, an order or a trace context?
          local policed = nil
          -- each name's own policy, read with its queue's owner and rate limit
          local by_name = {}
          local wait = nil
          for j = 0, nq - 1 do
            if #ids >= want or full then break end
            local q = KEYS[first + (start + j) % nq]
            local took, taken = {}, 0
            -- rate-limited: no more of the name than its bucket holds tokens
            -- one look-up for the queue's owner (a list, or empty) and the name's rate limit
            local nm = string.match(q, '}:q:([^|]+)') or q
            local looked = redis.call('HMGET', NP, q .. ' l', nm .. ' r', nm)
            by_name[nm] = looked[3] or DEFAULT_POLICY
            local allowed, limited, have, per = tokens(nm, looked[2], want - #ids, looked[2] and now_ms())
            local stop = #ids + allowed
            while #ids < stop and not full do
              local asked = stop - #ids
              local batch, scores = take(q, asked, looked[1])
              if not batch then break end
              if scores and policed == nil then policed = redis.call('HLEN', P) > 0 end
              local heads = redis.call('HMGET', H, unpack(batch))
              -- most stores hold no task of another queue or priority: no look-up then
              local orders = (scores and policed) and hmget(P, (function() local f = {} for x, id in ipairs(batch) do f[x] = id .. ' o' end return f end)()) or {}
              -- the arguments are read ARGS_CHUNK tasks at a time: past the bound, no more chunks are read
              local got, got_from, got_to = {}, 1, 0
              for x, id in ipairs(batch) do
                if heads[x] then
                  local st, at, se, nm, wk, lost, failed = parse(heads[x])
                  -- ids without a header, or not queued, are tombstones: skipped
                  if st == 'q' then
                    if x > got_to then
                      got_from, got_to = x, math.min(#batch, x + ARGS_CHUNK - 1)
                      got = redis.call('HMGET', A, unpack(batch, got_from, got_to))
                    end
                    local a = got[x - got_from + 1] or ''
                    local size = #a
                    if #ids > 0 and bytes + size > LEASE_BYTES then
                      local back = {}
                      if scores then
                        for y = x, #batch do
                          back[#back + 1] = string.format('%d', scores[y])
                          back[#back + 1] = batch[y]
                        end
                        redis.call('ZADD', q, unpack(back))
                      else
                        for y = #batch, x, -1 do back[#back + 1] = batch[y] end
                        redis.call('LPUSH', q, unpack(back))
                      end
                      full = true
                      break
                    end
                    bytes = bytes + size
                    ids[#ids + 1] = id
                    args[#ids] = a
                    taken = taken + 1
                    parts[#parts + 1] = { tonumber(at) + 1, se, nm, lost, failed }
                    if scores then
                      local prio = orders[x] and tonumber(string.match(orders[x], '|(%d)$')) or 5
                      took[#took + 1] = { se, scores[x] - (9 - prio) * PRIORITY_STEP, prio }
                    end
                  end
                -- a cancelled task's tombstone, counted by Cancel (one from before counting began was not)
                elseif tonumber(redis.call('HGET', NP, q) or '0') > 0 then redis.call('HINCRBY', NP, q, -1)
                end
              end
              -- fewer than asked: the queue is empty now, no need to look again
              if #batch < asked then break end
            end
            if #took > 0 then advance(q, took) end
            if limited then
              local left = have - taken
              if taken > 0 then
                redis.call('HSET', NP, limited .. ' b', string.format('%.6f', left) .. '|' .. string.format('%d', now_ms()))
              end
              -- the bucket, not the queue, ran short: when its next token is due
              if left < 1 and #ids < want and qlen(q) > 0 then
                local due = math.max(1, math.ceil((1 - left) * per))
                if not wait or due < wait then wait = due end
              end
            end
          end
          -- when a rate limit left tasks waiting: '~' and the ms until its next token, so the
          -- coordinator leases again then
          local tail = {}
          if wait then tail = { '~' .. string.format('%d', wait) } end
          if #ids == 0 then return tail end
          -- most stores hold no policy of a task's own and no trace context: no look-up then
          if policed == nil then policed = redis.call('HLEN', P) > 0 end
          local policies, traces = {}, nil
          if policed then
            policies = redis.call('HMGET', P, unpack(ids))
            local fields = {}
            for x, id in ipairs(ids) do fields[x] = id .. ' t' end
            traces = redis.call('HMGET', P, unpack(fields))
          end
          local headers, out = {}, {}
          for x, id in ipairs(ids) do
            local t = parts[x]
            -- leased: the attempt number is the fencing token of this lease
            headers[#headers + 1] = id
            headers[#headers + 1] = header('l', t[1], t[2], t[3], worker, t[4], t[5])
            local policy = policies[x]
            if not policy then
              policy = by_name[t[3]]
              if not policy then
                policy = redis.call('HGET', NP, t[3]) or DEFAULT_POLICY
                by_name[t[3]] = policy
              end
            end
            assigned(out, id, t[3], args[x], t[1], t[2], policy)
          end
          redis.call('HSET', H, unpack(headers))
          redis.call('SADD', leasedkey, unpack(ids))
          if full then out[#out + 1] = '+' end
          if wait then out[#out + 1] = tail[1] end
          if traces then
            local traced = {}
            for x = 1, #ids do
              if traces[x] then
                traced[#traced + 1] = x - 1
                traced[#traced + 1] = traces[x]
              end
            end
            if #traced > 0 then out[#out + 1] = traced end
          end
          return out
        end

        """;

    /// KEYS: the seven task keys, names, queue key of entry 1..n, then one key per idempotency key, the
    /// results' index by time (the ids finished within the retention), then (only with a worker to hand
    /// tasks to) that worker's leased set and workers.
    /// ARGV: session, retention seconds, n, worker to hand tasks to or '', how many at most, most tasks
    /// queued per queue key (0: no limit), entry 1..n (a task name, or "name|queue|priority" for another
    /// queue or priority; queue '' is the default), then per task (id, name index, args) when it has no
    /// policy of its own, idempotency key, trace context or time to wait for (most tasks: each argument of
    /// a script costs the store a string), else (id, -name index, args, policy or '', idempotency key index
    /// or 0, trace context or '', not before: 0 now, above 0 a time in Unix ms, below 0 a delay in ms from
    /// the store's clock). A task not yet due is delayed (state d) in the delayed set instead of its queue.
    /// Returns four lists: (index, existing task id or '') per task refused (its id is taken — by a task
    /// in the store, one finished within the retention, or a dead letter — or its
    /// idempotency key is), the tasks leased to the worker at once, as <see cref="Lease"/> returns them,
    /// (index, tasks queued) per task refused because its queue is full, and the ms until the
    /// earliest task it delayed is due (-1: none delayed).
    public static readonly Script Submit = new("submit", Prelude + """
        local session = ARGV[1]
        local ttl = tonumber(ARGV[2])
        local nn = tonumber(ARGV[3])
        -- each task's id and its place in ARGV: 3 arguments, or 7 for one with a negative name index
        local ids, at_arg = {}, {}
        local i = 7 + nn
        while i <= #ARGV do
          ids[#ids + 1] = ARGV[i]
          at_arg[#ids] = i
          i = i + (tonumber(ARGV[i + 1]) < 0 and 7 or 3)
        end
        -- each entry: a name, or "name|queue|priority" for another queue or priority
        local routes = {}
        for ni = 1, nn do
          local nm, queue, prio = string.match(ARGV[6 + ni], '^([^|]*)|([^|]*)|(%d)$')
          if nm then routes[ni] = { nm, queue, tonumber(prio) } else routes[ni] = { ARGV[6 + ni], '', 5 } end
        end
        local existing = hmget(H, ids)
        -- a finished, cancelled or dead-lettered id is taken too: a retried submit never runs it twice
        local finished = hmget(KEYS[#KEYS - (ARGV[4] ~= '' and 2 or 0)], ids, 'ZMSCORE')
        -- most stores hold no dead letter: then no look-up per task
        local lettered = redis.call('EXISTS', DEAD) == 1 and hmget(DEAD, ids) or {}
        for j = 1, #ids do existing[j] = existing[j] or finished[j] or lettered[j] end
        local headers, args, policies, pending, dups, seen = {}, {}, {}, {}, {}, {}
        -- queued per name: the list's length less its tombstones (cancelled tasks not yet skipped)
        local maxq, queued, full = tonumber(ARGV[6]), {}, {}
        local now, soonest = nil, -1
        for k = 1, #ids do
          local i = at_arg[k]
          local id = ids[k]
          local ni = tonumber(ARGV[i + 1])
          local own, ki, trace, due = '', 0, '', 0
          if ni < 0 then
            ni, own, ki, trace, due = -ni, ARGV[i + 3], tonumber(ARGV[i + 4]), ARGV[i + 5], tonumber(ARGV[i + 6])
          end
          local q = KEYS[8 + ni]
          if maxq > 0 and not queued[q] then
            queued[q] = qlen(q) - math.max(0, tonumber(redis.call('HGET', NP, q) or '0'))
          end
          local over = maxq > 0 and queued[q] >= maxq and not existing[k] and not seen[id]
          local holder = false
          if ki > 0 and not existing[k] and not seen[id] and not over then
            holder = redis.call('GET', KEYS[ki])
            if not holder then redis.call('SET', KEYS[ki], id, 'EX', ttl) end
          end
          if existing[k] or seen[id] then
            dups[#dups + 1] = k - 1
            dups[#dups + 1] = ''
          elseif over then
            full[#full + 1] = k - 1
            full[#full + 1] = queued[q]
          elseif holder then
            dups[#dups + 1] = k - 1
            dups[#dups + 1] = holder
          else
            seen[id] = true
            if maxq > 0 then queued[q] = queued[q] + 1 end
            local route = routes[ni]
            if due ~= 0 then
              now = now or now_ms()
              if due < 0 then due = now - due end
              if due <= now then due = 0 end
            end
            headers[#headers + 1] = id
            headers[#headers + 1] = header(due > 0 and 'd' or 'q', 0, session, route[1], '', 0, 0)
            if route[2] ~= '' or route[3] ~= 5 then
              policies[#policies + 1] = id .. ' o'
              policies[#policies + 1] = route[2] .. '|' .. route[3]
            end
            args[#args + 1] = id
            args[#args + 1] = ARGV[i + 2]
            if own ~= '' then
              policies[#policies + 1] = id
              policies[#policies + 1] = own
            end
            if trace ~= '' then
              policies[#policies + 1] = id .. ' t'
              policies[#policies + 1] = trace
            end
            if due > 0 then
              -- delayed: it waits in the delayed set, by the store's clock, until the reaper promotes it
              redis.call('ZADD', D, due, id)
              if soonest < 0 or due - now < soonest then soonest = due - now end
            else
              local p = pending[ni]
              if not p then p = {}; pending[ni] = p end
              -- (id, session, priority, its place in ARGV, its header's place in headers, its own policy
              -- or '', its trace context or '')
              p[#p + 1] = { id, session, route[3], i, #headers, own, trace }
            end
          end
        end
        -- A worker waiting for these names takes them in the same step (oldest first), unless it
        -- is no longer registered: then they wait in their queues like any other.
        local worker = ARGV[4]
        local waiting = worker ~= '' and redis.call('ZSCORE', KEYS[#KEYS], worker)
        local handed = nil
        -- The common case goes straight to that worker: plain tasks (priority 5) of one route whose
        -- queue is empty and whose name has no rate limit. They are stored leased, as a lease from
        -- the queue would leave them, without the queue's write and read; past what the worker
        -- takes, the rest are queued after them.
        if waiting and nn == 1 and routes[1][3] == 5 and pending[1] and redis.call('EXISTS', KEYS[9]) == 0 then
          local nm = routes[1][1]
          local looked = redis.call('HMGET', NP, nm .. ' r', nm)
          if not looked[1] then
            local want, bytes, over = tonumber(ARGV[5]), 0, false
            local rest, ids, traced = {}, {}, {}
            handed = {}
            for _, t in ipairs(pending[1]) do
              local i = t[4]
              local size = #ARGV[i + 2]
              if not over and #ids > 0 and #ids < want and bytes + size > LEASE_BYTES then over = true end
              if over or #ids >= want then
                rest[#rest + 1] = t
              else
                bytes = bytes + size
                ids[#ids + 1] = t[1]
                -- leased: attempt 1 is the fencing token of this lease
                headers[t[5]] = header('l', 1, session, nm, worker, 0, 0)
                assigned(handed, t[1], nm, ARGV[i + 2], 1, session, t[6] ~= '' and t[6] or looked[2] or DEFAULT_POLICY)
                if t[7] ~= '' then
                  traced[#traced + 1] = #ids - 1
                  traced[#traced + 1] = t[7]
                end
              end
            end
            pending[1] = #rest > 0 and rest or nil
            redis.call('SADD', KEYS[#KEYS - 1], unpack(ids))
            if over then handed[#handed + 1] = '+' end
            if #traced > 0 then handed[#handed + 1] = traced end
          end
        end
        -- durable: the tasks are in the store before the submit is acknowledged
        each_chunk('HSET', H, headers)
        each_chunk('HSET', A, args)
        each_chunk('HSET', P, policies)
        -- ready: in the queue of its name, queue and priority
        for ni, list in pairs(pending) do enqueue(KEYS[8 + ni], list) end
        local listed = {}
        for ni = 1, nn do listed[ni] = route_of(routes[ni][1], routes[ni][2]) end
        redis.call('SADD', KEYS[8], unpack(listed))
        if waiting and not handed then
          handed = lease(worker, tonumber(ARGV[5]), 0, 9, nn, KEYS[#KEYS - 1])
        end
        return { dups, handed or {}, full, soonest }
        """);

    /// KEYS: the seven task keys, the worker's leased set, workers, queue 1..n, the worker's owner.
    /// ARGV: worker, max tasks, rotation, the connection's token.
    /// Returns the leased tasks ((id, args) per task, each run of tasks that share their name, attempt,
    /// session and policy led by ('', name, attempt, session, policy)), then '+' when the byte
    /// bound of one lease stopped it; NOWORKER when the connection no longer holds the registration.
    public static readonly Script Lease = new("lease", Prelude + """
        if redis.call('GET', KEYS[#KEYS]) ~= ARGV[4] or not redis.call('ZSCORE', KEYS[9], ARGV[1]) then
          return redis.error_reply('NOWORKER worker ' .. ARGV[1] .. ' is not registered to this connection')
        end
        return lease(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), 10, #KEYS - 10, KEYS[8])
        """);

    /// KEYS: the seven task keys, the worker's leased set, then (outbox, outbox sequence) per session,
    /// the results, their index by time, the revived ids, the dead letters' index.
    /// ARGV: worker, retention seconds, jitter (0..1), number of sessions, session 1..n, then per result
    /// (id, attempt, session index, completion, error type or '', error JSON or '').
    /// Returns (accepted, stale, retrying, dead-lettered, what became of each result: one letter per
    /// result, c committed, r retrying, d dead-lettered, s stale, tasks waiting for these that became due,
    /// tasks waiting for these that ended with them (<see cref="GraphScripts"/>), the indexes of the results
    /// committed without a completion (revived tasks)), then (session index, last sequence number) per session
    /// whose outbox was written: each other committed result's completion was written to its session's outbox, in
    /// the order of the results, numbered up to that last one; so the coordinator can hand them on as sent,
    /// without reading them back, and the reply holds no element per task.
    public static readonly Script Complete = new("complete", Prelude + GraphScripts.Functions + """
        -- most batches hold no revived task: then no per-task look-up
        local rv = nil
        if redis.call('EXISTS', KEYS[#KEYS - 1]) == 1 then rv = KEYS[#KEYS - 1] end
        local ttl = tonumber(ARGV[2])
        local jitter = tonumber(ARGV[3])
        local ns = tonumber(ARGV[4])
        local accepted, stale, retrying, dead = 0, 0, 0, 0
        local ids = {}
        for i = 5 + ns, #ARGV, 6 do ids[#ids + 1] = ARGV[i] end
        local heads = hmget(H, ids)
        local released, finished, outboxes, codes, skipped = {}, {}, {}, {}, {}
        local kept = {}
        local x = 0
        for i = 5 + ns, #ARGV, 6 do
          x = x + 1
          local id = ARGV[i]
          local si = tonumber(ARGV[i + 2])
          local ok = false
          codes[x] = 's'
          if heads[x] then
            local st, at, se, nm, wk, lost, failed = parse(heads[x])
            -- fenced: only the current attempt of the current lease holder may finish the task
            if st == 'l' and at == ARGV[i + 1] and wk == ARGV[1] and se == ARGV[4 + si] then
              ok = true
              accepted = accepted + 1
              released[#released + 1] = id
              local errtype = ARGV[i + 4]
              local final = true
              codes[x] = 'c'
              if errtype ~= '' then
                local p = policy(id, nm)
                local errors = add_error(id, ARGV[i + 5])
                if retries(p, errtype) and failed + 1 < p.maxAttempts then
                  -- a real failure with attempts left: run again after a backoff
                  local delay = math.min(p.backoffMax, p.backoff * 2 ^ failed) * (0.5 + jitter / 2)
                  redis.call('HSET', H, id, header('r', at, se, nm, '', lost, failed + 1))
                  redis.call('ZADD', D, now_ms() + math.floor(delay), id)
                  retrying = retrying + 1
                  codes[x] = 'r'
                  final = false
                elseif retries(p, errtype) then
                  dead_letter(id, at, se, nm, wk, 'failed on each of its ' .. (failed + 1) .. ' attempts', errors, KEYS[7 + 2 * si], KEYS[8 + 2 * si], ttl, revived(rv, id))
                  dead = dead + 1
                  codes[x] = 'd'
                  final = false
                end
              end
              if final then
                kept[#kept + 1] = id
                kept[#kept + 1] = ARGV[i + 3]
                if revived(rv, id) then
                  skipped[#skipped + 1] = x - 1
                else
                  local list = outboxes[si]
                  if not list then list = {}; outboxes[si] = list end
                  list[#list + 1] = ARGV[i + 3]
                end
                finished[#finished + 1] = id
              end
            end
          end
          if not ok then stale = stale + 1 end
        end
        each_chunk('SREM', KEYS[8], released)
        -- tasks waiting for these as inputs take their results, or end with them (GraphScripts)
        local graph_ready, graph_ended = 0, 0
        -- most tasks have no policy of their own, no trace context, no inputs and no dependents
        local policed = redis.call('HLEN', P) > 0
        if policed then
          local y = 0
          for i = 5 + ns, #ARGV, 6 do
            y = y + 1
            local si = tonumber(ARGV[i + 2])
            if (codes[y] == 'c' or codes[y] == 'd') and redis.call('HEXISTS', P, ARGV[i] .. ' d') == 1 then
              local g = graph(ARGV[4 + si], KEYS[7 + 2 * si], KEYS[8 + 2 * si], KEYS[#KEYS - 3], KEYS[#KEYS - 2], ttl)
              local kind, what = outcome_of(ARGV[i + 3])
              if codes[y] == 'd' then what = 'it was dead-lettered; its last error: ' .. what end
              input_done(g, ARGV[i], kind, what)
              graph_ready, graph_ended = graph_ready + g.ready, graph_ended + g.ended
            end
          end
        end
        local delivered = { accepted, stale, retrying, dead, table.concat(codes), graph_ready, graph_ended, skipped }
        for si, list in pairs(outboxes) do
          -- one sequence range and one ZADD per session and batch
          local n = #list
          local last = next_seq(KEYS[8 + 2 * si], n, ttl)
          local entries = {}
          for j = 1, n do
            entries[2 * j - 1] = string.format('%d', last - n + j)
            entries[2 * j] = list[j]
          end
          each_chunk('ZADD', KEYS[7 + 2 * si], entries)
          redis.call('EXPIRE', KEYS[7 + 2 * si], ttl)
          delivered[#delivered + 1] = si
          delivered[#delivered + 1] = last
        end
        keep_results(KEYS[#KEYS - 3], KEYS[#KEYS - 2], kept, ttl)
        each_chunk('HDEL', H, finished)
        each_chunk('HDEL', A, finished)
        -- most tasks have no policy of their own, no trace context and no errors: skip the writes (and their log) then
        if policed then
          local fields = {}
          for _, id in ipairs(finished) do
            fields[#fields + 1] = id
            fields[#fields + 1] = id .. ' t'
          end
          each_chunk('HDEL', P, fields)
        end
        if redis.call('HLEN', E) > 0 then each_chunk('HDEL', E, finished) end
        return delivered
        """);

    /// KEYS: the seven task keys, outbox, outbox sequence, the revived ids, the results, their index by time.
    /// ARGV: session, retention seconds, interrupt ('1' or '0'), then (id, completion) per task.
    /// Returns (code, worker) per task: code 1 when it was queued, delayed or waiting to retry and is now
    /// cancelled (or waiting for its inputs: then it and the tasks waiting for it are cancelled); 2 when it is
    /// leased and interrupt was asked (worker holds it); else 0. The tasks waiting for one cancelled are cancelled with it.
    public static readonly Script Cancel = new("cancel", Prelude + GraphScripts.Functions + """
        local out, ended, kept = {}, {}, {}
        for i = 4, #ARGV, 2 do
          local id = ARGV[i]
          local h = redis.call('HGET', H, id)
          local r, holder = 0, ''
          if h then
            local st, at, se, nm, wk = parse(h)
            if se == ARGV[1] and (st == 'q' or st == 'r' or st == 'd' or st == 'w') then
              -- the id stays in its queue as a tombstone: leasing skips ids without a header
              if st == 'q' then redis.call('HINCRBY', NP, string.sub(H, 1, -2) .. 'q:' .. route_of(nm, (order_of(id))), 1) end
              redis.call('ZREM', D, id)
              forget(id)
              if not revived(KEYS[10], id) then emit(KEYS[8], KEYS[9], tonumber(ARGV[2]), ARGV[i + 1]) end
              ended[#ended + 1] = id
              kept[#kept + 1] = id
              kept[#kept + 1] = ARGV[i + 1]
              r = 1
            elseif se == ARGV[1] and st == 'l' and ARGV[3] == '1' then
              r, holder = 2, wk
            end
          end
          out[#out + 1] = r
          out[#out + 1] = holder
        end
        keep_results(KEYS[11], KEYS[12], kept, tonumber(ARGV[2]))
        -- the tasks waiting for a cancelled one are cancelled with it (GraphScripts)
        for _, id in ipairs(ended) do
          input_done(graph(ARGV[1], KEYS[8], KEYS[9], KEYS[11], KEYS[12], tonumber(ARGV[2])), id, 'c', '')
        end
        return out
        """);

    /// KEYS: workers, the worker's info, the worker's owner (the token of the connection holding its id).
    /// ARGV: worker, lease ms, the connection's token, mode, info (with 'hello').
    /// Modes: 'hello' registers the worker unless another connection holds its id (returns 0 then);
    /// 'beat' renews its lease; 'check' only looks. Each returns 1 while this connection holds the
    /// registration, 0 when it does not (it was reaped, and the id may have passed on): ids are
    /// unique per live connection across every coordinator.
    public static readonly Script Heartbeat = new("heartbeat", """
        local owner = redis.call('GET', KEYS[3])
        local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if ARGV[4] == 'hello' then
          if (owner and owner ~= ARGV[3]) or (not owner and known) then return 0 end
          redis.call('SET', KEYS[3], ARGV[3])
          redis.call('SET', KEYS[2], ARGV[5])
        elseif owner ~= ARGV[3] or not known then
          return 0
        elseif ARGV[4] == 'check' then
          return 1
        end
        local t = redis.call('TIME')
        local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
        -- the lease of every task this worker holds lives until this deadline, by the store's clock
        redis.call('ZADD', KEYS[1], deadline, ARGV[1])
        return 1
        """);

    /// KEYS: workers, delayed. Returns (workers whose lease has expired by the store's clock, up to 100;
    /// the number of delayed tasks due now; milliseconds until the next one is due, or -1).
    public static readonly Script Due = new("due", """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
        local due = redis.call('ZCOUNT', KEYS[2], '-inf', now)
        local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
        local wait = -1
        if next[2] then wait = math.max(0, tonumber(next[2]) - now) end
        return { expired, due, wait }
        """);

    /// KEYS: the seven task keys, the worker's leased set, workers, the worker's info, queue 1..n,
    /// then (outbox, outbox sequence) per session, the revived ids, the worker's owner, the dead letters' index.
    /// ARGV: worker, when ('0': only if its lease expired; a connection's token: only while that
    /// connection holds the registration, its stream having broken; '*': whatever the registration),
    /// retention seconds, n, route 1..n (a task name, or "name|queue"), m, session 1..m.
    /// Returns (requeued, dead-lettered, left) — left counts tasks whose keys were not declared; -1 when
    /// the worker is alive, or the registration is not the given connection's.
    public static readonly Script Requeue = new("requeue", Prelude + GraphScripts.Functions + """
        if ARGV[2] == '0' then
          local score = redis.call('ZSCORE', KEYS[9], ARGV[1])
          if score and tonumber(score) > now_ms() then return { -1, 0, 0 } end
        elseif ARGV[2] ~= '*' and redis.call('GET', KEYS[#KEYS - 1]) ~= ARGV[2] then
          -- a connection only ever removes itself
          return { -1, 0, 0 }
        end
        local ttl = tonumber(ARGV[3])
        local nn = tonumber(ARGV[4])
        local queues, outboxes = {}, {}
        for i = 1, nn do queues[ARGV[4 + i]] = KEYS[10 + i] end
        for i = 1, tonumber(ARGV[5 + nn]) do outboxes[ARGV[5 + nn + i]] = i end
        local n, dead, left = 0, 0, 0
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[8])) do
          local h = redis.call('HGET', H, id)
          local keep = false
          if h then
            local st, at, se, nm, wk, lost, failed = parse(h)
            if st == 'l' and wk == ARGV[1] then
              local queue, prio = order_of(id)
              local q, si = queues[route_of(nm, queue)], outboxes[se]
              if not q or not si then
                keep = true
                left = left + 1
              else
                local p = policy(id, nm)
                local errors = add_error(id, '{"type":"Cluster.WorkerLost","message":' .. cjson.encode('worker ' .. wk .. ' vanished while running attempt ' .. at) .. ',"stackTrace":"","attempt":' .. at .. '}')
                if lost + 1 > p.maxLost then
                  local base = 10 + nn + 2 * si
                  dead_letter(id, at, se, nm, wk, 'its worker vanished ' .. (lost + 1) .. ' times (limit ' .. p.maxLost .. ' re-runs)', errors, KEYS[base - 1], KEYS[base], ttl, revived(KEYS[#KEYS - 2], id))
                  -- its waiting tasks fail with it (their outcomes go to the outbox only: GraphScripts)
                  input_done(graph(se, KEYS[base - 1], KEYS[base], nil, nil, ttl), id, 'e', 'it was dead-lettered: its worker vanished ' .. (lost + 1) .. ' times')
                  dead = dead + 1
                else
                  -- the lease holder vanished: back to the front of its queue, to run again
                  redis.call('HSET', H, id, header('q', at, se, nm, '', lost + 1, failed))
                  enqueue(q, { { id, se, prio } }, true)
                  n = n + 1
                end
              end
            end
          end
          if not keep then redis.call('SREM', KEYS[8], id) end
        end
        if left == 0 then
          redis.call('DEL', KEYS[8])
          redis.call('ZREM', KEYS[9], ARGV[1])
          redis.call('DEL', KEYS[10])
          redis.call('DEL', KEYS[#KEYS - 1])
        end
        return { n, dead, left }
        """);

    /// KEYS: the seven task keys, the worker's leased set, queue 1..n.
    /// ARGV: worker, n, route 1..n (a task name, or "name|queue"), then (task id, attempt or '' for any) per task leased to the worker
    /// that it never started: handed back by a draining worker, or never sent to it (a lease whose
    /// reply was lost). Fenced by attempt, so calling again is harmless.
    /// Returns how many went back to the front of their queues; neither a run lost nor an attempt used.
    public static readonly Script Release = new("release", Prelude + """
        local nn = tonumber(ARGV[2])
        local queues = {}
        for i = 1, nn do queues[ARGV[2 + i]] = KEYS[8 + i] end
        local n = 0
        for i = 3 + nn, #ARGV, 2 do
          local id = ARGV[i]
          local h = redis.call('HGET', H, id)
          if h then
            local st, at, se, nm, wk, lost, failed = parse(h)
            local queue, prio = order_of(id)
            local q = queues[route_of(nm, queue)]
            if st == 'l' and wk == ARGV[1] and q and (ARGV[i + 1] == '' or ARGV[i + 1] == at) then
              -- unstarted: back to the front of its queue, and the lease's attempt is not used up
              redis.call('HSET', H, id, header('q', math.max(0, tonumber(at) - 1), se, nm, '', lost, failed))
              enqueue(q, { { id, se, prio } }, true)
              redis.call('SREM', KEYS[8], id)
              n = n + 1
            end
          end
        end
        return n
        """);

    /// KEYS: the seven task keys, queue 1..n, names.
    /// ARGV: route 1..n (a task name, or "name|queue").
    /// Moves up to 1,000 tasks that are due by the store's clock — delayed ones (state d) and those whose
    /// retry backoff has passed (r) — to the back of their queues (and their routes back into names,
    /// which forgets a route whose queue is empty).
    /// Returns (moved, left) — left: due tasks whose queue was not among KEYS.
    public static readonly Script Promote = new("promote", Prelude + """
        local queues = {}
        for i = 1, #ARGV do queues[ARGV[i]] = KEYS[7 + i] end
        local n, left = 0, 0
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', D, '-inf', now_ms(), 'LIMIT', 0, 1000)) do
          local h = redis.call('HGET', H, id)
          if not h then
            redis.call('ZREM', D, id)
          else
            local st, at, se, nm, wk, lost, failed = parse(h)
            if st ~= 'r' and st ~= 'd' then
              redis.call('ZREM', D, id)
            elseif queues[route_of(nm, (order_of(id)))] then
              local queue, prio = order_of(id)
              local route = route_of(nm, queue)
              redis.call('HSET', H, id, header('q', at, se, nm, '', lost, failed))
              enqueue(queues[route], { { id, se, prio } })
              redis.call('SADD', KEYS[#KEYS], route)
              redis.call('ZREM', D, id)
              n = n + 1
            else
              left = left + 1
            end
          end
        end
        return { n, left }
        """);

    /// KEYS: the seven task keys, names, the queue key of the dead letter's route (its "order"), the dead letters' index, the revived ids.
    /// ARGV: id, name (as read beforehand).
    /// Puts a dead-lettered task back in its queue with fresh counters, among the revived: its client
    /// had its completion (the dead letter), so its next outcome writes none. Returns 1, or 0 when
    /// there is no such dead letter.
    public static readonly Script Resurrect = new("resurrect", Prelude + """
        local record = redis.call('HGET', DEAD, ARGV[1])
        if not record then return 0 end
        local letter = cjson.decode(record)
        if letter.name ~= ARGV[2] then return redis.error_reply('STALE the dead letter changed; read it again') end
        redis.call('HSET', H, ARGV[1], header('q', string.format('%d', letter.attempt), letter.session, letter.name, '', 0, 0))
        redis.call('HSET', A, ARGV[1], letter.args)
        local queue, prio = '', 5
        if letter.order then
          redis.call('HSET', P, ARGV[1] .. ' o', letter.order)
          queue, prio = order_of(ARGV[1])
        end
        enqueue(KEYS[9], { { ARGV[1], letter.session, prio } })
        redis.call('SADD', KEYS[8], route_of(letter.name, queue))
        redis.call('HDEL', DEAD, ARGV[1])
        redis.call('ZREM', KEYS[10], ARGV[1])
        redis.call('SADD', KEYS[11], ARGV[1])
        return 1
        """);

    /// KEYS: dead letters, the dead letters' index.
    /// ARGV: retention ms, most letters to drop.
    /// Drops the oldest dead letters kept longer than the retention, at most that many a call.
    /// Returns how many it dropped.
    public static readonly Script ExpireDeadLetters = new("expire-dead-letters", """
        local unpack = table.unpack or unpack
        local t = redis.call('TIME')
        local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[1])
        local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, tonumber(ARGV[2]))
        if #ids == 0 then return 0 end
        redis.call('HDEL', KEYS[1], unpack(ids))
        redis.call('ZREM', KEYS[2], unpack(ids))
        return #ids
        """);

    /// KEYS: a queue key. Returns how many ids it holds, tombstones included, in one step: the key is a
    /// list or a sorted set (see the enqueue function), and a submit may turn one into the other
    /// between two separate reads.
    public static readonly Script QueueLength = new("queue-length", """
        local form = redis.call('TYPE', KEYS[1])
        if type(form) == 'table' then form = form['ok'] end
        if form == 'list' then return redis.call('LLEN', KEYS[1]) end
        if form == 'zset' then return redis.call('ZCARD', KEYS[1]) end
        return 0
        """);

    /// KEYS: names, name policies, the route's queue, headers.
    /// ARGV: route (a task name, or "name|queue").
    /// Forgets a route whose queue holds no task, only tombstones (ids without a header), and
    /// drops the queue and its tombstone count; leaves a queue of more than 1,000 ids alone.
    /// Returns 1 when forgotten.
    public static readonly Script ForgetName = new("forget-name", """
        local unpack = table.unpack or unpack
        local form = redis.call('TYPE', KEYS[3])
        if type(form) == 'table' then form = form['ok'] end
        local list = form == 'list'
        local n = 0
        if list then n = redis.call('LLEN', KEYS[3]) elseif form == 'zset' then n = redis.call('ZCARD', KEYS[3]) end
        if n > 1000 then return 0 end
        if n > 0 then
          local heads = redis.call('HMGET', KEYS[4], unpack(list and redis.call('LRANGE', KEYS[3], 0, -1) or redis.call('ZRANGE', KEYS[3], 0, -1)))
          for i = 1, n do
            if heads[i] then return 0 end
          end
        end
        redis.call('DEL', KEYS[3])
        redis.call('HDEL', KEYS[2], KEYS[3], KEYS[3] .. ' l', KEYS[3] .. ' v')
        return redis.call('SREM', KEYS[1], ARGV[1])
        """);

    /// KEYS: a session's outbox, its sequence and its appended ids (on the session's home shard).
    /// ARGV: retention seconds, then (task id, completion entry) per completion another shard wrote
    /// for the session. Appends each whose task id the outbox has not had yet, in order, numbered by
    /// the session's sequence; the appended ids are kept for the retention, so a forward applied
    /// twice (a coordinator died between the append and dropping the forward) appends once.
    /// Returns each completion's number in the outbox, 0 for one appended before.
    public static readonly Script Append = new("append", Prelude + """
        local ttl = tonumber(ARGV[1])
        local now = now_ms()
        local ids = {}
        for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
        local had = hmget(KEYS[3], ids, 'ZMSCORE')
        local fresh = {}
        for j = 1, #ids do
          if not had[j] then fresh[#fresh + 1] = j end
        end
        local out = {}
        for j = 1, #ids do out[j] = 0 end
        if #fresh > 0 then
          -- one block of the session's sequence for all of them, numbered in order
          local last = next_seq(KEYS[2], #fresh, ttl)
          local entries, seen = {}, {}
          for k, j in ipairs(fresh) do
            local seq = last - #fresh + k
            out[j] = seq
            entries[#entries + 1] = string.format('%d', seq)
            entries[#entries + 1] = ARGV[2 * j + 1]
            seen[#seen + 1] = now
            seen[#seen + 1] = ids[j]
          end
          -- the completions are in their session's outbox: the client's stream delivers them from here
          each_chunk('ZADD', KEYS[1], entries)
          redis.call('EXPIRE', KEYS[1], ttl)
          each_chunk('ZADD', KEYS[3], seen)
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%d', now - ttl * 1000))
        redis.call('EXPIRE', KEYS[3], ttl)
        return out
        """);

    /// KEYS: a shard's forwards, its outbox of the session.
    /// ARGV: session, cutoff (ms). Drops the session from the forwards once nothing waits in the
    /// outbox and no forward was noted after the cutoff. Returns 1 when dropped.
    public static readonly Script ForgetForward = new("forget-forward", """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if not at or tonumber(at) > tonumber(ARGV[2]) then return 0 end
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """);
}
