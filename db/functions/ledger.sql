-- The ledger's SQL functions (server/governance/budgets): the one source of their current
-- definitions. db/migrate.ts applies this file after drizzle's migrations on every start, under
-- the migration lock; every statement is an idempotent CREATE OR REPLACE, so edit the function
-- here (never in a new migration) and db/functions/ledger.test.ts checks that what PostgreSQL
-- runs is exactly this file. Migrations 0005, 0006 and 0012 hold their history.
--
-- Lock order, the same everywhere so concurrent batches never deadlock:
--   1. budget_counters rows, by key ascending;
--   2. then reservations rows.
-- Reserve creates missing counters and locks existing ones in ONE sorted
-- INSERT ... ON CONFLICT DO UPDATE ... WHERE false (which locks a conflicting row without
-- changing it), so creating a counter never happens out of order with locking another.

-- A SQL-language function is planned again on every call (~2 ms here); as plpgsql its plan is cached per session.
CREATE OR REPLACE FUNCTION wflo_matching_counters(p_items jsonb, p_tz text)
RETURNS TABLE(i int, key text, budget_id uuid, run_id text, window_start timestamptz, limit_nano bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH items AS (
      SELECT (x->>'i')::int AS i, x FROM jsonb_array_elements(p_items) AS x
    )
    SELECT it.i,
           b.id::text || '|' || CASE b.period
             WHEN 'run' THEN 'run:' || (it.x->>'run')
             WHEN 'lifetime' THEN 'lifetime'
             ELSE to_char(date_trunc(b.period::text, now(), p_tz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           END,
           b.id,
           CASE WHEN b.period = 'run' THEN it.x->>'run' END,
           CASE WHEN b.period IN ('run', 'lifetime') THEN NULL ELSE date_trunc(b.period::text, now(), p_tz) END,
           b.limit_nano
    FROM items it
    JOIN budgets b ON b.enabled AND (
         b.scope = 'global'
      OR (b.scope = 'workflow' AND b.scope_value = it.x->>'workflow')
      OR (b.scope = 'agent' AND b.scope_value = it.x->>'agent')
      OR (b.scope = 'user' AND b.scope_value = it.x->>'user')
      OR (b.scope = 'api_key' AND b.scope_value = it.x->>'apiKey')
      OR (b.scope = 'tag' AND (it.x->'tags') ? b.scope_value))
    UNION ALL
    SELECT it.i, 'runlimit|' || (it.x->>'run'), NULL, it.x->>'run', NULL, (it.x->>'runLimit')::bigint
    FROM items it WHERE it.x->>'runLimit' IS NOT NULL
    UNION ALL
    SELECT it.i, c.key, NULL, c.run_id, NULL, c.limit_nano
    FROM items it JOIN budget_counters c ON c.key = 'runlimit|' || (it.x->>'run')
    WHERE it.x->>'runLimit' IS NULL;
END;
$$;

CREATE OR REPLACE FUNCTION wflo_reserve_batch(p_items jsonb, p_tz text)
RETURNS TABLE(o_idx int, o_outcome text, o_id uuid, o_detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_allow_unpriced boolean;
  v_map jsonb;
  v_keys text[];
  v_amount bigint;
  r record;
  v_budget record;
  -- The batch's counters, read once after locking: key, limit, spent, reserved, and what this batch adds.
  a_key text[];
  a_limit bigint[];
  a_spent bigint[];
  a_reserved bigint[];
  a_add bigint[];
  -- Idempotency keys already held (stored before, or reserved earlier in this batch).
  e_key text[];
  e_id uuid[];
  e_status text[];
  e_amount bigint[];
  v_admitted int[] := '{}';
  v_k text;
  v_p int;
  v_room bigint;
  v_best int;
  v_best_room bigint;
BEGIN
  SELECT s.allow_unpriced_models INTO v_allow_unpriced FROM governance_settings s WHERE s.id = 1;
  v_allow_unpriced := coalesce(v_allow_unpriced, false);

  WITH m AS (
    SELECT * FROM wflo_matching_counters(p_items, p_tz)
  ), locked AS (
    INSERT INTO budget_counters AS c (key, budget_id, run_id, window_start, limit_nano)
    SELECT DISTINCT ON (m.key) m.key, m.budget_id, m.run_id, m.window_start, m.limit_nano FROM m ORDER BY m.key
    ON CONFLICT (key) DO UPDATE SET limit_nano = c.limit_nano WHERE false
    RETURNING 1
  )
  SELECT coalesce(jsonb_object_agg(g.i::text, g.keys), '{}'::jsonb) INTO v_map
  FROM (SELECT m.i, array_agg(DISTINCT m.key) AS keys FROM m GROUP BY m.i) g;

  SELECT coalesce(array_agg(c.key ORDER BY c.key), '{}'), coalesce(array_agg(c.limit_nano ORDER BY c.key), '{}'),
         coalesce(array_agg(c.spent_nano ORDER BY c.key), '{}'), coalesce(array_agg(c.reserved_nano ORDER BY c.key), '{}')
    INTO a_key, a_limit, a_spent, a_reserved
    FROM budget_counters c
   WHERE c.key IN (SELECT jsonb_array_elements_text(e.value) FROM jsonb_each(v_map) e);
  a_add := array_fill(0::bigint, ARRAY[cardinality(a_key)]);

  SELECT coalesce(array_agg(res.idempotency_key), '{}'), coalesce(array_agg(res.id), '{}'),
         coalesce(array_agg(res.status::text), '{}'), coalesce(array_agg(res.amount_nano), '{}')
    INTO e_key, e_id, e_status, e_amount
    FROM reservations res
   WHERE res.idempotency_key IN (SELECT x->>'key' FROM jsonb_array_elements(p_items) AS x WHERE x->>'key' IS NOT NULL);

  FOR r IN SELECT (x->>'i')::int AS i, x FROM jsonb_array_elements(p_items) AS x ORDER BY 1 LOOP
    o_idx := r.i;
    o_id := NULL;
    o_detail := NULL;
    IF r.x->>'key' IS NOT NULL THEN
      v_p := array_position(e_key, r.x->>'key');
      IF v_p IS NOT NULL THEN
        o_outcome := 'existing';
        o_id := e_id[v_p];
        o_detail := jsonb_build_object('status', e_status[v_p], 'amountNano', e_amount[v_p]::text);
        RETURN NEXT;
        CONTINUE;
      END IF;
    END IF;

    v_keys := coalesce(ARRAY(SELECT jsonb_array_elements_text(v_map->(r.i::text))), '{}'::text[]);
    v_amount := (r.x->>'amount')::bigint;

    IF coalesce((r.x->>'unpriced')::boolean, false) AND cardinality(v_keys) > 0 AND NOT v_allow_unpriced THEN
      o_outcome := 'unpriced';
      o_detail := jsonb_build_object('counterKeys', to_jsonb(v_keys));
      RETURN NEXT;
      CONTINUE;
    END IF;

    -- The tightest counter the amount does not fit in (least room, then key), as 0005 chose it.
    v_best := NULL;
    v_best_room := NULL;
    FOREACH v_k IN ARRAY v_keys LOOP
      v_p := array_position(a_key, v_k);
      v_room := a_limit[v_p] - a_spent[v_p] - a_reserved[v_p] - a_add[v_p];
      IF v_amount > v_room AND (v_best IS NULL OR v_room < v_best_room OR (v_room = v_best_room AND v_k < a_key[v_best])) THEN
        v_best := v_p;
        v_best_room := v_room;
      END IF;
    END LOOP;
    IF v_best IS NOT NULL THEN
      SELECT c.budget_id, b.name, b.scope, b.scope_value, b.period INTO v_budget
        FROM budget_counters c LEFT JOIN budgets b ON b.id = c.budget_id WHERE c.key = a_key[v_best];
      o_outcome := 'exceeded';
      o_detail := jsonb_build_object(
        'counterKey', a_key[v_best],
        'budgetId', v_budget.budget_id,
        'budgetName', v_budget.name,
        'scope', coalesce(v_budget.scope::text, 'run'),
        'scopeValue', coalesce(v_budget.scope_value, r.x->>'run'),
        'period', coalesce(v_budget.period::text, 'run'),
        'limitNano', a_limit[v_best]::text,
        'spentNano', a_spent[v_best]::text,
        'reservedNano', (a_reserved[v_best] + a_add[v_best])::text);
      RETURN NEXT;
      CONTINUE;
    END IF;

    IF v_amount > 0 THEN
      FOREACH v_k IN ARRAY v_keys LOOP
        v_p := array_position(a_key, v_k);
        a_add[v_p] := a_add[v_p] + v_amount;
      END LOOP;
    END IF;
    v_admitted := v_admitted || r.i;
    IF r.x->>'key' IS NOT NULL THEN
      e_key := e_key || (r.x->>'key');
      e_id := e_id || (r.x->>'id')::uuid;
      e_status := e_status || 'active'::text;
      e_amount := e_amount || v_amount;
    END IF;
    o_outcome := 'reserved';
    o_id := (r.x->>'id')::uuid;
    RETURN NEXT;
  END LOOP;

  IF cardinality(v_admitted) > 0 THEN
    INSERT INTO reservations (id, idempotency_key, run_id, step_id, workflow, agent, user_id, api_key_id, tags, counter_keys, amount_nano, expires_at)
    SELECT (x->>'id')::uuid, x->>'key', x->>'run', x->>'step', x->>'workflow', x->>'agent', x->>'user', x->>'apiKey',
           coalesce(ARRAY(SELECT jsonb_array_elements_text(x->'tags')), '{}'::text[]),
           coalesce(ARRAY(SELECT jsonb_array_elements_text(v_map->(x->>'i'))), '{}'::text[]),
           (x->>'amount')::bigint,
           now() + make_interval(secs => (x->>'ttlMs')::double precision / 1000)
      FROM jsonb_array_elements(p_items) AS x
     WHERE (x->>'i')::int = ANY(v_admitted);
    -- One update per counter for the whole batch.
    UPDATE budget_counters c SET reserved_nano = c.reserved_nano + d.amt, updated_at = now()
      FROM unnest(a_key, a_add) AS d(k, amt)
     WHERE c.key = d.k AND d.amt <> 0;
  END IF;
END;
$$;

CREATE OR REPLACE FUNCTION wflo_settle_batch(p_items jsonb)
RETURNS TABLE(o_idx int, o_outcome text, o_call_id bigint, o_detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_keys text[];
  r record;
  v_actual bigint;
  -- Per item, decided in memory: outcome, and the reservation it acts on.
  i_idx int[] := '{}';
  i_outcome text[] := '{}';
  i_res uuid[] := '{}';
  i_call bigint[] := '{}';
  i_status text[] := '{}';
  v_settle int[] := '{}';
  v_release uuid[] := '{}';
  v_seen uuid[] := '{}';
  v_call_ids bigint[] := '{}';
  v_call_res uuid[] := '{}';
  -- Money this batch moves, per counter key: applied in one update at the end.
  d_key text[] := '{}';
  d_spent bigint[] := '{}';
  d_reserved bigint[] := '{}';
  v_k text;
  v_p int;
  v_n int;
BEGIN
  SELECT coalesce(array_agg(DISTINCT k ORDER BY k), '{}'::text[]) INTO v_keys
    FROM reservations res, unnest(res.counter_keys) AS k
   WHERE res.id IN (SELECT (x->>'id')::uuid FROM jsonb_array_elements(p_items) AS x);
  PERFORM 1 FROM budget_counters c WHERE c.key = ANY(v_keys) ORDER BY c.key FOR UPDATE;
  PERFORM 1 FROM reservations res WHERE res.id IN (SELECT (x->>'id')::uuid FROM jsonb_array_elements(p_items) AS x) ORDER BY res.id FOR UPDATE;

  FOR r IN
    SELECT (x->>'i')::int AS i, x, res.id AS rid, res.status::text AS status, res.call_id, res.amount_nano, res.counter_keys
      FROM jsonb_array_elements(p_items) AS x LEFT JOIN reservations res ON res.id = (x->>'id')::uuid
     ORDER BY 1
  LOOP
    i_idx := i_idx || r.i;
    i_res := i_res || r.rid;
    i_call := i_call || r.call_id;
    i_status := i_status || r.status;
    IF r.rid IS NULL THEN
      i_outcome := i_outcome || 'missing'::text;
      CONTINUE;
    END IF;
    -- The same reservation twice in one batch: the first acts, the rest find it done.
    IF r.rid = ANY(v_seen) OR r.status = 'settled' OR (r.x->'call' IS NULL AND r.status <> 'active') THEN
      i_outcome := i_outcome || 'already'::text;
      CONTINUE;
    END IF;
    v_seen := v_seen || r.rid;
    IF r.x->'call' IS NULL THEN
      v_actual := 0;
      v_release := v_release || r.rid;
      i_outcome := i_outcome || 'released'::text;
    ELSE
      v_actual := (r.x->>'actual')::bigint;
      v_settle := v_settle || r.i;
      i_outcome := i_outcome || (CASE WHEN r.status = 'active' THEN 'settled' ELSE 'late' END);
    END IF;
    -- An active reservation gives back what it held; an expired or released one gave it back already.
    FOREACH v_k IN ARRAY r.counter_keys LOOP
      v_p := array_position(d_key, v_k);
      IF v_p IS NULL THEN
        d_key := d_key || v_k;
        d_spent := d_spent || 0::bigint;
        d_reserved := d_reserved || 0::bigint;
        v_p := cardinality(d_key);
      END IF;
      d_spent[v_p] := d_spent[v_p] + v_actual;
      IF r.status = 'active' THEN
        d_reserved[v_p] := d_reserved[v_p] - r.amount_nano;
      END IF;
    END LOOP;
  END LOOP;

  IF cardinality(v_settle) > 0 THEN
    WITH ins AS (
      INSERT INTO llm_calls (reservation_id, run_id, step_id, workflow, agent, user_id, api_key_id, tags, provider, model,
                             input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
                             cost_nano, price_version_id, price_source, rates, latency_ms, status, simulated, error)
      SELECT res.id, res.run_id, res.step_id, res.workflow, res.agent, res.user_id, res.api_key_id, res.tags,
             x->'call'->>'provider', x->'call'->>'model',
             (x->'call'->>'inputTokens')::int, (x->'call'->>'outputTokens')::int, (x->'call'->>'cachedInputTokens')::int,
             (x->'call'->>'cacheWriteTokens')::int, (x->'call'->>'reasoningTokens')::int,
             (x->>'actual')::bigint, (x->'call'->>'priceVersionId')::bigint, x->'call'->>'priceSource', x->'call'->'rates',
             (x->'call'->>'latencyMs')::int, coalesce(x->'call'->>'status', 'ok'), coalesce((x->'call'->>'simulated')::boolean, false),
             x->'call'->>'error'
        FROM jsonb_array_elements(p_items) AS x JOIN reservations res ON res.id = (x->>'id')::uuid
       WHERE (x->>'i')::int = ANY(v_settle)
       ORDER BY (x->>'i')::int
      RETURNING id, reservation_id
    ), upd AS (
      UPDATE reservations res SET status = 'settled', closed_at = now(), call_id = ins.id FROM ins WHERE res.id = ins.reservation_id
      RETURNING 1
    )
    SELECT array_agg(ins.id), array_agg(ins.reservation_id), (SELECT count(*) FROM upd) INTO v_call_ids, v_call_res, v_n FROM ins;
  END IF;
  IF cardinality(v_release) > 0 THEN
    UPDATE reservations SET status = 'released', closed_at = now() WHERE id = ANY(v_release);
  END IF;

  UPDATE budget_counters c SET spent_nano = c.spent_nano + d.s, reserved_nano = c.reserved_nano + d.r, updated_at = now()
    FROM unnest(d_key, d_spent, d_reserved) AS d(k, s, r)
   WHERE c.key = d.k AND (d.s <> 0 OR d.r <> 0);

  FOR v_p IN 1 .. coalesce(cardinality(i_idx), 0) LOOP
    o_idx := i_idx[v_p];
    o_outcome := i_outcome[v_p];
    o_detail := NULL;
    o_call_id := NULL;
    IF o_outcome IN ('settled', 'late') THEN
      o_call_id := v_call_ids[array_position(v_call_res, i_res[v_p])];
    ELSIF o_outcome = 'already' THEN
      -- Settled earlier in this batch, or before it.
      o_call_id := coalesce(v_call_ids[array_position(v_call_res, i_res[v_p])], i_call[v_p]);
      o_detail := jsonb_build_object('status', CASE WHEN i_res[v_p] = ANY(v_release) THEN 'released' WHEN i_res[v_p] = ANY(v_call_res) THEN 'settled' ELSE i_status[v_p] END);
    END IF;
    RETURN NEXT;
  END LOOP;

  IF cardinality(v_call_ids) > 0 THEN
    INSERT INTO llm_cost_rollup AS u (hour, provider, model, workflow, calls, cost_nano, input_tokens, output_tokens, simulated_calls)
    SELECT date_trunc('hour', c.created_at, 'UTC'), c.provider, c.model, coalesce(c.workflow, ''),
           count(*), sum(c.cost_nano), sum(c.input_tokens), sum(c.output_tokens), count(*) FILTER (WHERE c.simulated)
      FROM llm_calls c WHERE c.id = ANY(v_call_ids)
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, provider, model, workflow) DO UPDATE SET
      calls = u.calls + excluded.calls,
      cost_nano = u.cost_nano + excluded.cost_nano,
      input_tokens = u.input_tokens + excluded.input_tokens,
      output_tokens = u.output_tokens + excluded.output_tokens,
      simulated_calls = u.simulated_calls + excluded.simulated_calls;

    INSERT INTO budget_alerts (budget_id, counter_key, threshold_pct, spent_nano, limit_nano)
    SELECT c.budget_id, c.key, t.pct, c.spent_nano, c.limit_nano
      FROM budget_counters c JOIN budgets b ON b.id = c.budget_id, unnest(b.alert_thresholds) AS t(pct)
     WHERE c.key = ANY(d_key) AND c.spent_nano * 100 >= c.limit_nano * t.pct
    ON CONFLICT (counter_key, threshold_pct) DO NOTHING;
  END IF;
END;
$$;

-- One transaction for a process's pending settlements AND reservations together: half the
-- commits of separate batches, and a process never contends with itself for a hot budget row.
-- Every counter either part touches is locked first, in one key-ordered pass (existing rows
-- locked, missing reservation counters created), so the lock order stays global; settlements
-- then run before reservations, so money they give back is available at once.
CREATE OR REPLACE FUNCTION wflo_ledger_batch(p_settle jsonb, p_reserve jsonb, p_tz text)
RETURNS TABLE(o_kind text, o_idx int, o_outcome text, o_id text, o_detail jsonb)
LANGUAGE plpgsql AS $$
BEGIN
  WITH settle_keys AS (
    SELECT DISTINCT k AS key
      FROM reservations res, unnest(res.counter_keys) AS k
     WHERE res.id IN (SELECT (x->>'id')::uuid FROM jsonb_array_elements(p_settle) AS x)
  ), wanted AS (
    SELECT m.key, m.budget_id, m.run_id, m.window_start, m.limit_nano FROM wflo_matching_counters(p_reserve, p_tz) m
    UNION ALL
    SELECT c.key, c.budget_id, c.run_id, c.window_start, c.limit_nano FROM budget_counters c JOIN settle_keys s ON s.key = c.key
  )
  INSERT INTO budget_counters AS c (key, budget_id, run_id, window_start, limit_nano)
  SELECT DISTINCT ON (w.key) w.key, w.budget_id, w.run_id, w.window_start, w.limit_nano FROM wanted w ORDER BY w.key
  ON CONFLICT (key) DO UPDATE SET limit_nano = c.limit_nano WHERE false;

  -- Both functions lock again what they need; rows this transaction holds already lock at once.
  IF jsonb_array_length(p_settle) > 0 THEN
    RETURN QUERY SELECT 'settle'::text, s.o_idx, s.o_outcome, s.o_call_id::text, s.o_detail FROM wflo_settle_batch(p_settle) s;
  END IF;
  IF jsonb_array_length(p_reserve) > 0 THEN
    RETURN QUERY SELECT 'reserve'::text, r.o_idx, r.o_outcome, r.o_id::text, r.o_detail FROM wflo_reserve_batch(p_reserve, p_tz) r;
  END IF;
END;
$$;

-- Gives back the money of reservations whose holder never settled (a crashed worker).
CREATE OR REPLACE FUNCTION wflo_expire_reservations(p_limit int)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
  v_keys text[];
  v_n int;
BEGIN
  SELECT coalesce(array_agg(s.id), '{}'::uuid[]) INTO v_ids
    FROM (SELECT res.id FROM reservations res WHERE res.status = 'active' AND res.expires_at < now() ORDER BY res.expires_at LIMIT p_limit) s;
  IF cardinality(v_ids) = 0 THEN
    RETURN 0;
  END IF;
  SELECT coalesce(array_agg(DISTINCT k ORDER BY k), '{}'::text[]) INTO v_keys
    FROM reservations res, unnest(res.counter_keys) AS k WHERE res.id = ANY(v_ids);
  PERFORM 1 FROM budget_counters c WHERE c.key = ANY(v_keys) ORDER BY c.key FOR UPDATE;
  -- A settle may have closed some of them while we waited for the locks: status is re-checked.
  WITH e AS (
    UPDATE reservations SET status = 'expired', closed_at = now()
     WHERE id = ANY(v_ids) AND status = 'active'
    RETURNING counter_keys, amount_nano
  ), per AS (
    SELECT k, sum(e.amount_nano) AS amt FROM e, unnest(e.counter_keys) AS k GROUP BY k
  ), u AS (
    UPDATE budget_counters c SET reserved_nano = c.reserved_nano - per.amt, updated_at = now() FROM per WHERE c.key = per.k RETURNING 1
  )
  SELECT count(*) INTO v_n FROM e;
  RETURN v_n;
END;
$$;
