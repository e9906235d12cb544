namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Futures as arguments: a task submitted with inputs (<c>TaskSpec.inputs</c>) waits in the store
/// (state w) until each input has finished, then becomes ready with the inputs' results in the
/// places of the placeholders <c>{"$clusterInput":k}</c> its arguments hold (k: the input's position).
/// </summary>
/// <remarks>
/// Kept in the policies hash, one of the seven task keys every task script declares, under fields
/// no id reaches (ids hold no space): <c>"&lt;id&gt; w"</c> of a waiting task is "count input1 input2 …"
/// (count: inputs not yet finished, then every input in placeholder order); <c>"&lt;id&gt; d"</c> of
/// an unfinished input is the space-separated ids of the tasks waiting for it. An input that
/// completes puts its result in each waiting task's arguments and counts it down; at zero the task
/// is delayed, due at once, and the reaper's promote script moves it to its queue (through
/// <c>enqueue</c>, the one step that makes a task ready). An input that fails or is dead-lettered
/// fails its waiting tasks with <c>Cluster.DependencyFailed</c>, one that is cancelled cancels them,
/// and so on down the graph, in the same script. A waiting task and its unfinished inputs are of one
/// session, so every completion this writes goes to an outbox the script declared.
/// </remarks>
internal static class GraphScripts
{
    /// <summary>The error type of a task whose input failed.</summary>
    public const string DependencyFailed = "Cluster.DependencyFailed";

    /// <summary>Lua functions shared by the scripts that finish tasks; they follow the prelude.</summary>
    public const string Functions = """
        local INPUT_MARK = '{"$clusterInput":'
        -- The arguments with every placeholder of input k replaced by value (plain text, no patterns).
        local function substitute(args, k, value)
          local mark = INPUT_MARK .. k .. '}'
          local out, from = {}, 1
          while true do
            local s, e = string.find(args, mark, from, true)
            if not s then break end
            out[#out + 1] = string.sub(args, from, s - 1)
            out[#out + 1] = value
            from = e + 1
          end
          if from == 1 then return args end
          out[#out + 1] = string.sub(args, from)
          return table.concat(out)
        end
        -- Protocol buffers, the little the graph needs of a Completion: field 1 task_id, 4 result,
        -- 5 error (TaskError: 1 type, 2 message), 6 cancelled.
        local function pb_varint(n)
          local out = {}
          while n >= 128 do
            out[#out + 1] = string.char(n % 128 + 128)
            n = math.floor(n / 128)
          end
          out[#out + 1] = string.char(n)
          return table.concat(out)
        end
        local function pb_field(field, s) return string.char(field * 8 + 2) .. pb_varint(#s) .. s end
        -- The length-delimited fields of a message: field number -> its bytes (the last one wins).
        local function pb_fields(c)
          local out, pos, n = {}, 1, #c
          local function varint()
            local v, m = 0, 1
            while pos <= n do
              local b = string.byte(c, pos)
              pos = pos + 1
              v = v + (b % 128) * m
              if b < 128 then return v end
              m = m * 128
            end
            return v
          end
          while pos <= n do
            local tag = varint()
            local field, wt = math.floor(tag / 8), tag % 8
            if wt == 0 then varint()
            elseif wt == 1 then pos = pos + 8
            elseif wt == 5 then pos = pos + 4
            elseif wt == 2 then
              local len = varint()
              out[field] = string.sub(c, pos, pos + len - 1)
              pos = pos + len
            else break end
          end
          return out
        end
        -- What a stored completion says: 'r' and the result's JSON, 'c' cancelled, or 'e' and its error as text.
        local function outcome_of(c)
          if string.sub(c, 1, 1) == 'D' then return 'e', 'it was dead-lettered' end
          local f = pb_fields(c)
          if f[4] then return 'r', f[4] end
          if f[6] then return 'c', nil end
          if f[5] then
            local e = pb_fields(f[5])
            return 'e', (e[1] or 'Error') .. ': ' .. (e[2] or '')
          end
          return 'r', 'null'
        end
        local function dependency_failed(id, input, why)
          return pb_field(1, id) .. pb_field(5, pb_field(1, 'Cluster.DependencyFailed')
            .. pb_field(2, 'input task ' .. input .. ' failed: ' .. why))
        end
        -- Where a graph's completions go: the outbox, its sequence and the kept results with their
        -- index (the last two may be nil: then not written).
        local function graph(session, outbox, seqkey, rkey, rindex, ttl)
          return { session = session, outbox = outbox, seqkey = seqkey, rkey = rkey, rindex = rindex, ttl = ttl, ready = 0, ended = 0 }
        end
        -- Input id has finished: kind 'r' with its result's JSON in what, 'e' with its error as text,
        -- 'c' cancelled. Its waiting tasks take the result, or end with it (and theirs after them).
        local function input_done(g, id, kind, what)
          local work = { { id, kind, what } }
          local w = 1
          while w <= #work do
            local input, k, why = work[w][1], work[w][2], work[w][3]
            w = w + 1
            local deps = redis.call('HGET', P, input .. ' d')
            if deps then
              redis.call('HDEL', P, input .. ' d')
              for dep in string.gmatch(deps, '%S+') do
                local h = redis.call('HGET', H, dep)
                local waiting = h and redis.call('HGET', P, dep .. ' w')
                local st, at, se, nm, wk, lost, failed
                if waiting then st, at, se, nm, wk, lost, failed = parse(h) end
                if waiting and st == 'w' and se == g.session then
                  if k == 'r' then
                    local count, inputs = string.match(waiting, '^(%d+) (.*)$')
                    local args = redis.call('HGET', A, dep)
                    local x = 0
                    for other in string.gmatch(inputs, '%S+') do
                      if other == input then args = substitute(args, x, why) end
                      x = x + 1
                    end
                    redis.call('HSET', A, dep, args)
                    count = tonumber(count) - 1
                    if count <= 0 then
                      -- every input is in: due at once; the reaper's promote puts it in its queue
                      redis.call('HDEL', P, dep .. ' w')
                      redis.call('HSET', H, dep, header('d', at, se, nm, '', lost, failed))
                      redis.call('ZADD', D, now_ms(), dep)
                      g.ready = g.ready + 1
                    else
                      redis.call('HSET', P, dep .. ' w', count .. ' ' .. inputs)
                    end
                  else
                    local entry = k == 'c' and (pb_field(1, dep) .. pb_field(6, '')) or dependency_failed(dep, input, why)
                    emit(g.outbox, g.seqkey, g.ttl, entry)
                    if g.rkey then keep_results(g.rkey, g.rindex, { dep, entry }, g.ttl) end
                    forget(dep)
                    g.ended = g.ended + 1
                    work[#work + 1] = { dep, k, k == 'c' and '' or ('Cluster.DependencyFailed: input task ' .. input .. ' failed: ' .. why) }
                  end
                end
              end
            end
          end
        end

        """;

    /// <summary>
    /// KEYS: the seven task keys, names, the results, their index by time (the ids finished within the
    /// retention), the session's outbox, its sequence.
    /// ARGV: session, retention seconds, then (id, name, args, policy or '', trace context or '', input
    /// ids separated by spaces, "queue|priority" or '' for the default queue and priority) per task, in
    /// an order where an input in the same batch comes first.
    /// Stores each task waiting for its unfinished inputs (state w), or due at once when every input
    /// has finished with a result (the results put in its arguments); a task one of whose finished
    /// inputs failed, was dead-lettered or was cancelled is not stored: its completion says so.
    /// Returns (refused: (index, code, message) per task, tasks made due, tasks ended at once).
    /// </summary>
    public static readonly Script Submit = new("graph-submit", Scripts.Prelude + Functions + """
        local session = ARGV[1]
        local ttl = tonumber(ARGV[2])
        local g = graph(session, KEYS[11], KEYS[12], KEYS[9], KEYS[10], ttl)
        local refused = {}
        local k = -1
        for i = 3, #ARGV, 7 do
          k = k + 1
          local id, nm, args = ARGV[i], ARGV[i + 1], ARGV[i + 2]
          if redis.call('HEXISTS', H, id) == 1 or redis.call('ZSCORE', KEYS[10], id) or redis.call('HEXISTS', DEAD, id) == 1 then
            refused[#refused + 1] = k
            refused[#refused + 1] = 'AlreadyExists'
            refused[#refused + 1] = 'task id \'' .. id .. '\' is already in use.'
          else
            local inputs, pending, problem, ends = {}, {}, nil, nil
            for input in string.gmatch(ARGV[i + 5], '%S+') do inputs[#inputs + 1] = input end
            for x, input in ipairs(inputs) do
              local h = redis.call('HGET', H, input)
              if h then
                local st, at, se = parse(h)
                if se ~= session then
                  problem = { 'FailedPrecondition', 'input task \'' .. input .. '\' is unfinished and belongs to another session: a task can wait only for unfinished tasks of its own session (a finished one of any session is fine).' }
                  break
                end
                pending[#pending + 1] = input
              else
                local c = redis.call('HGET', KEYS[9], input)
                if not c and redis.call('HEXISTS', DEAD, input) == 1 then c = 'D' end
                if not c then
                  problem = { 'NotFound', 'input task \'' .. input .. '\' is not known to the store (never submitted, or finished longer ago than the retention).' }
                  break
                end
                local kind, what = outcome_of(c)
                if kind == 'r' then
                  args = substitute(args, x - 1, what)
                elseif not ends then
                  -- already failed or cancelled: the task ends at once, as it would have when it did
                  ends = kind == 'c' and (pb_field(1, id) .. pb_field(6, '')) or dependency_failed(id, input, what)
                end
              end
            end
            if problem then
              refused[#refused + 1] = k
              refused[#refused + 1] = problem[1]
              refused[#refused + 1] = problem[2]
            elseif ends then
              emit(g.outbox, g.seqkey, ttl, ends)
              keep_results(g.rkey, g.rindex, { id, ends }, ttl)
              g.ended = g.ended + 1
            else
              -- durable: the task is in the store, waiting for its inputs or due at once
              redis.call('HSET', A, id, args)
              if ARGV[i + 3] ~= '' then redis.call('HSET', P, id, ARGV[i + 3]) end
              if ARGV[i + 4] ~= '' then redis.call('HSET', P, id .. ' t', ARGV[i + 4]) end
              -- another queue or priority: kept for the enqueue that makes it ready
              local route = nm
              if ARGV[i + 6] ~= '' then
                redis.call('HSET', P, id .. ' o', ARGV[i + 6])
                route = route_of(nm, (order_of(id)))
              end
              redis.call('SADD', KEYS[8], route)
              if #pending > 0 then
                redis.call('HSET', H, id, header('w', 0, session, nm, '', 0, 0))
                redis.call('HSET', P, id .. ' w', #pending .. ' ' .. ARGV[i + 5])
                for _, input in ipairs(pending) do
                  local deps = redis.call('HGET', P, input .. ' d')
                  redis.call('HSET', P, input .. ' d', deps and (deps .. ' ' .. id) or id)
                end
              else
                redis.call('HSET', H, id, header('d', 0, session, nm, '', 0, 0))
                redis.call('ZADD', D, now_ms(), id)
                g.ready = g.ready + 1
              end
            end
          end
        end
        return { refused, g.ready, g.ended }
        """);
}
