-- Cost governance hot path (server/governance/budgets). Each function is one round trip
-- and one transaction for a whole batch of reservations or settlements, so one fsync and
-- one hold of a hot budget row serve many LLM calls.
--
-- Lock order, the same everywhere so concurrent batches never deadlock:
--   1. budget_counters rows, by key ascending;
--   2. then reservations rows.
-- Reserve creates missing counters and locks existing ones in ONE sorted
-- INSERT ... ON CONFLICT DO UPDATE ... WHERE false (which locks a conflicting row without
-- changing it), so creating a counter never happens out of order with locking another.

-- The counters that apply to each item of a reserve batch: every enabled budget whose scope
-- matches, in its current window, plus the run's own limit ('runlimit|<run>').
CREATE OR REPLACE FUNCTION wflo_matching_counters(p_items jsonb, p_tz text)
RETURNS TABLE(i int, key text, budget_id uuid, run_id text, window_start timestamptz, limit_nano bigint)
LANGUAGE sql STABLE AS $$
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
  WHERE it.x->>'runLimit' IS NULL
$$;
--> statement-breakpoint

-- Items: {i, id, key?, run, step, workflow?, agent?, user?, apiKey?, tags[], runLimit?, amount, ttlMs, unpriced}
-- Outcomes per item: reserved | existing (same idempotency key) | exceeded | unpriced.
CREATE OR REPLACE FUNCTION wflo_reserve_batch(p_items jsonb, p_tz text)
RETURNS TABLE(o_idx int, o_outcome text, o_id uuid, o_detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_allow_unpriced boolean;
  v_map jsonb;
  v_keys text[];
  v_amount bigint;
  r record;
  v_block record;
  v_existing record;
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

  FOR r IN SELECT (x->>'i')::int AS i, x FROM jsonb_array_elements(p_items) AS x ORDER BY 1 LOOP
    o_idx := r.i;
    o_id := NULL;
    o_detail := NULL;
    IF r.x->>'key' IS NOT NULL THEN
      SELECT res.id, res.status, res.amount_nano INTO v_existing FROM reservations res WHERE res.idempotency_key = r.x->>'key';
      IF FOUND THEN
        o_outcome := 'existing';
        o_id := v_existing.id;
        o_detail := jsonb_build_object('status', v_existing.status, 'amountNano', v_existing.amount_nano::text);
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

    -- The tightest counter that cannot take this amount, if any.
    SELECT c.key, c.limit_nano, c.spent_nano, c.reserved_nano, c.budget_id, b.name, b.scope, b.scope_value, b.period
      INTO v_block
      FROM budget_counters c LEFT JOIN budgets b ON b.id = c.budget_id
     WHERE c.key = ANY(v_keys) AND c.spent_nano + c.reserved_nano + v_amount > c.limit_nano
     ORDER BY c.limit_nano - c.spent_nano - c.reserved_nano, c.key
     LIMIT 1;
    IF FOUND THEN
      o_outcome := 'exceeded';
      o_detail := jsonb_build_object(
        'counterKey', v_block.key,
        'budgetId', v_block.budget_id,
        'budgetName', v_block.name,
        'scope', coalesce(v_block.scope::text, 'run'),
        'scopeValue', coalesce(v_block.scope_value, r.x->>'run'),
        'period', coalesce(v_block.period::text, 'run'),
        'limitNano', v_block.limit_nano::text,
        'spentNano', v_block.spent_nano::text,
        'reservedNano', v_block.reserved_nano::text);
      RETURN NEXT;
      CONTINUE;
    END IF;

    IF v_amount > 0 THEN
      UPDATE budget_counters SET reserved_nano = reserved_nano + v_amount, updated_at = now() WHERE key = ANY(v_keys);
    END IF;
    INSERT INTO reservations (id, idempotency_key, run_id, step_id, workflow, agent, user_id, api_key_id, tags, counter_keys, amount_nano, expires_at)
    VALUES ((r.x->>'id')::uuid, r.x->>'key', r.x->>'run', r.x->>'step', r.x->>'workflow', r.x->>'agent', r.x->>'user', r.x->>'apiKey',
            coalesce(ARRAY(SELECT jsonb_array_elements_text(r.x->'tags')), '{}'::text[]), v_keys, v_amount,
            now() + make_interval(secs => (r.x->>'ttlMs')::double precision / 1000));
    o_outcome := 'reserved';
    o_id := (r.x->>'id')::uuid;
    RETURN NEXT;
  END LOOP;
END;
$$;
--> statement-breakpoint

-- Items: {i, id, actual?, call?} where call is the llm_calls fields; no call = release.
-- Outcomes: settled | released | late (the reservation had expired or been released, the
-- spend is still recorded) | already (settled before: idempotent) | missing.
CREATE OR REPLACE FUNCTION wflo_settle_batch(p_items jsonb)
RETURNS TABLE(o_idx int, o_outcome text, o_call_id bigint, o_detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_keys text[];
  r record;
  v_res record;
  v_call bigint;
  v_actual bigint;
  v_c jsonb;
  v_touched text[] := '{}';
  v_calls bigint[] := '{}';
BEGIN
  SELECT coalesce(array_agg(DISTINCT k ORDER BY k), '{}'::text[]) INTO v_keys
    FROM reservations res, unnest(res.counter_keys) AS k
   WHERE res.id IN (SELECT (x->>'id')::uuid FROM jsonb_array_elements(p_items) AS x);
  PERFORM 1 FROM budget_counters c WHERE c.key = ANY(v_keys) ORDER BY c.key FOR UPDATE;

  FOR r IN SELECT (x->>'i')::int AS i, x FROM jsonb_array_elements(p_items) AS x ORDER BY 1 LOOP
    o_idx := r.i;
    o_call_id := NULL;
    o_detail := NULL;
    SELECT * INTO v_res FROM reservations res WHERE res.id = (r.x->>'id')::uuid FOR UPDATE;
    IF NOT FOUND THEN
      o_outcome := 'missing';
      RETURN NEXT;
      CONTINUE;
    END IF;
    v_c := r.x->'call';
    IF v_res.status = 'settled' OR (v_c IS NULL AND v_res.status <> 'active') THEN
      o_outcome := 'already';
      o_call_id := v_res.call_id;
      o_detail := jsonb_build_object('status', v_res.status);
      RETURN NEXT;
      CONTINUE;
    END IF;

    IF v_c IS NULL THEN
      UPDATE budget_counters SET reserved_nano = reserved_nano - v_res.amount_nano, updated_at = now()
       WHERE key = ANY(v_res.counter_keys) AND v_res.amount_nano > 0;
      UPDATE reservations SET status = 'released', closed_at = now() WHERE id = v_res.id;
      o_outcome := 'released';
      RETURN NEXT;
      CONTINUE;
    END IF;

    v_actual := (r.x->>'actual')::bigint;
    INSERT INTO llm_calls (reservation_id, run_id, step_id, workflow, agent, user_id, api_key_id, tags, provider, model,
                           input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
                           cost_nano, price_version_id, price_source, rates, latency_ms, status, simulated, error)
    VALUES (v_res.id, v_res.run_id, v_res.step_id, v_res.workflow, v_res.agent, v_res.user_id, v_res.api_key_id, v_res.tags,
            v_c->>'provider', v_c->>'model',
            (v_c->>'inputTokens')::int, (v_c->>'outputTokens')::int, (v_c->>'cachedInputTokens')::int,
            (v_c->>'cacheWriteTokens')::int, (v_c->>'reasoningTokens')::int,
            v_actual, (v_c->>'priceVersionId')::bigint, v_c->>'priceSource', v_c->'rates', (v_c->>'latencyMs')::int,
            coalesce(v_c->>'status', 'ok'), coalesce((v_c->>'simulated')::boolean, false), v_c->>'error')
    RETURNING id INTO v_call;

    IF v_res.status = 'active' THEN
      UPDATE budget_counters SET spent_nano = spent_nano + v_actual, reserved_nano = reserved_nano - v_res.amount_nano, updated_at = now()
       WHERE key = ANY(v_res.counter_keys);
      o_outcome := 'settled';
    ELSE
      -- The money was already given back (expired or released) but the call did happen: still count it.
      UPDATE budget_counters SET spent_nano = spent_nano + v_actual, updated_at = now() WHERE key = ANY(v_res.counter_keys);
      o_outcome := 'late';
    END IF;
    UPDATE reservations SET status = 'settled', closed_at = now(), call_id = v_call WHERE id = v_res.id;
    v_touched := v_touched || v_res.counter_keys;
    v_calls := v_calls || v_call;
    o_call_id := v_call;
    RETURN NEXT;
  END LOOP;

  IF cardinality(v_calls) > 0 THEN
    INSERT INTO llm_cost_rollup AS u (hour, provider, model, workflow, calls, cost_nano, input_tokens, output_tokens, simulated_calls)
    SELECT date_trunc('hour', c.created_at, 'UTC'), c.provider, c.model, coalesce(c.workflow, ''),
           count(*), sum(c.cost_nano), sum(c.input_tokens), sum(c.output_tokens), count(*) FILTER (WHERE c.simulated)
      FROM llm_calls c WHERE c.id = ANY(v_calls)
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
     WHERE c.key = ANY(v_touched) AND c.spent_nano * 100 >= c.limit_nano * t.pct
    ON CONFLICT (counter_key, threshold_pct) DO NOTHING;
  END IF;
END;
$$;
--> statement-breakpoint

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
--> statement-breakpoint

INSERT INTO governance_settings (id) VALUES (1) ON CONFLICT DO NOTHING;
