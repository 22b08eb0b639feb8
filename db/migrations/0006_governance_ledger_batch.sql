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
--> statement-breakpoint

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
