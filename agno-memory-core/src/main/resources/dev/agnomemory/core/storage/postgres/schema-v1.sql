-- agno-memory PostgreSQL schema, version 1 (PostgreSQL 14 or newer, database encoding UTF8).
--
-- PostgresStorage runs this file by itself on first use, in one transaction, when the schema is empty. To create
-- the schema yourself instead (for example when the application's role may not create tables), run it as a role
-- that may, in the schema agno_memory:
--
--   psql -v ON_ERROR_STOP=1 --single-transaction -c 'CREATE SCHEMA IF NOT EXISTS agno_memory' -f schema-v1.sql
--
-- For another schema name, replace every "agno_memory." below (sed 's/agno_memory\./my_schema./g'), and build the
-- storage with .schema("my_schema"). Everything is qualified with the schema, so the file does not depend on the
-- search_path, and neither do the functions.
--
-- How texts and times are stored (docs/postgres.md has the details):
--   * Every text column holds the text as given, except that NUL, unpaired UTF-16 surrogates and U+FDD0 (a
--     Unicode noncharacter used as the escape) are written as U+FDD0 followed by four hex digits. Ordinary text is
--     therefore stored unchanged and full-text search works on it.
--   * Every time is a timestamptz (microseconds) plus a *_ns column with the nanoseconds below the microsecond.
--   * Ids (user, session, run, agent, memory) use COLLATE "C": byte order, the same in every locale.

CREATE TABLE agno_memory.agno_memory_schema (
    version     integer PRIMARY KEY,
    description text NOT NULL,
    product     text NOT NULL CHECK (product = 'agno-memory'),
    applied_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agno_memory.agno_memory_schema IS 'agno-memory: one row per applied schema version';

-- Session versions and memory versions: one store-wide counter, so a number is never handed out twice.
CREATE SEQUENCE agno_memory.change_seq AS bigint;

CREATE TABLE agno_memory.sessions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id              text COLLATE "C" NOT NULL,
    session_id           text COLLATE "C" NOT NULL,
    agent_id             text COLLATE "C",
    name                 text,
    created_at           timestamptz NOT NULL,
    created_ns           smallint NOT NULL CHECK (created_ns BETWEEN 0 AND 999),
    updated_at           timestamptz NOT NULL,
    updated_ns           smallint NOT NULL CHECK (updated_ns BETWEEN 0 AND 999),
    version              bigint NOT NULL,
    -- the current (last) run: what the run rules are checked against
    run_count            bigint NOT NULL DEFAULT 0,
    current_run_id       text COLLATE "C",
    current_run_finished boolean NOT NULL DEFAULT false,
    current_run_messages integer NOT NULL DEFAULT 0,
    -- totals of the finished runs' metrics
    model                text,
    input_tokens         bigint NOT NULL DEFAULT 0,
    output_tokens        bigint NOT NULL DEFAULT 0,
    total_tokens         bigint NOT NULL DEFAULT 0,
    model_calls          integer NOT NULL DEFAULT 0,
    tool_calls           integer NOT NULL DEFAULT 0,
    finish_reason        text,
    -- the latest summary
    summary              text,
    summary_topics       text[],
    summary_last_run     bigint,
    summary_updated_at   timestamptz,
    summary_updated_ns   smallint,
    -- the session state exactly as given (a JSON object as text; jsonb would reorder it) and the data map
    state                text NOT NULL DEFAULT '{}',
    data                 jsonb NOT NULL DEFAULT '{}',
    -- the session's turn across application instances: turn_epoch is the fencing token a write may carry
    turn_epoch           bigint NOT NULL DEFAULT 0,
    turn_holder          text,
    turn_expires_at      timestamptz,
    UNIQUE (user_id, session_id)
);
CREATE INDEX sessions_by_user ON agno_memory.sessions (user_id, updated_at DESC, updated_ns DESC, session_id);
CREATE INDEX sessions_by_agent ON agno_memory.sessions (agent_id, updated_at DESC, updated_ns DESC, user_id, session_id)
    WHERE agent_id IS NOT NULL;

CREATE TABLE agno_memory.runs (
    session       bigint NOT NULL REFERENCES agno_memory.sessions (id) ON DELETE CASCADE,
    seq           bigint NOT NULL,
    run_id        text COLLATE "C" NOT NULL,
    started_at    timestamptz NOT NULL,
    started_ns    smallint NOT NULL,
    finished_at   timestamptz,
    finished_ns   smallint,
    status        text NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'ERROR', 'CANCELLED')),
    error         text,
    model         text,
    input_tokens  bigint NOT NULL DEFAULT 0,
    output_tokens bigint NOT NULL DEFAULT 0,
    total_tokens  bigint NOT NULL DEFAULT 0,
    model_calls   integer NOT NULL DEFAULT 0,
    tool_calls    integer NOT NULL DEFAULT 0,
    finish_reason text,
    PRIMARY KEY (session, seq),
    UNIQUE (session, run_id)
);
CREATE INDEX runs_completed ON agno_memory.runs (session, seq) WHERE status = 'COMPLETED';

CREATE TABLE agno_memory.messages (
    session      bigint NOT NULL,
    run_seq      bigint NOT NULL,
    idx          integer NOT NULL,
    message_id   text NOT NULL,
    role         text NOT NULL CHECK (role IN ('SYSTEM', 'USER', 'ASSISTANT', 'TOOL')),
    content      text NOT NULL,
    tool_calls   jsonb,
    tool_call_id text,
    tool_name    text,
    error        boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    created_ns   smallint NOT NULL,
    payload      text,
    PRIMARY KEY (session, run_seq, idx),
    FOREIGN KEY (session, run_seq) REFERENCES agno_memory.runs (session, seq) ON DELETE CASCADE
);

CREATE TABLE agno_memory.memories (
    user_id    text COLLATE "C" NOT NULL,
    memory_id  text COLLATE "C" NOT NULL,
    memory     text NOT NULL,
    topics     text[] NOT NULL,
    input      text,
    created_at timestamptz NOT NULL,
    created_ns smallint NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_ns smallint NOT NULL,
    agent_id   text COLLATE "C",
    PRIMARY KEY (user_id, memory_id)
);
CREATE INDEX memories_by_age ON agno_memory.memories (user_id, created_at, created_ns, memory_id);

CREATE TABLE agno_memory.memory_embeddings (
    user_id     text COLLATE "C" NOT NULL,
    memory_id   text COLLATE "C" NOT NULL,
    model       text NOT NULL,
    memory_text text NOT NULL,
    vector      real[] NOT NULL,
    PRIMARY KEY (user_id, memory_id),
    FOREIGN KEY (user_id, memory_id) REFERENCES agno_memory.memories (user_id, memory_id) ON DELETE CASCADE
);

CREATE TABLE agno_memory.memory_history (
    user_id          text COLLATE "C" NOT NULL,
    memory_id        text COLLATE "C" NOT NULL,
    seq              bigint NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('ADDED', 'UPDATED', 'DELETED')),
    previous_memory  text,
    previous_topics  text[] NOT NULL,
    new_memory       text,
    new_topics       text[] NOT NULL,
    at               timestamptz NOT NULL,
    at_ns            smallint NOT NULL,
    cause            text NOT NULL CHECK (cause IN ('MEMORY_MODEL', 'AGENTIC_TOOL', 'APPLICATION')),
    cause_session_id text,
    cause_run_id     text,
    PRIMARY KEY (user_id, memory_id, seq)
);

-- One row per user who ever had memories: the memories version, and the row every memory write locks first.
CREATE TABLE agno_memory.memory_versions (
    user_id text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL
);

-- ---- write functions: each write is one call (one round trip), checked and applied in one transaction ----

-- Every write calls this first: the storage promises that a returned write is durable, so a server or role that
-- runs with synchronous_commit = off gets it back on for this transaction only.
CREATE FUNCTION agno_memory.make_commit_durable() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('synchronous_commit') = 'off' THEN
        PERFORM set_config('synchronous_commit', 'on', true);
    END IF;
END $$;

-- Every session write starts here: durable commit, then the session's row locked, the lock that serializes every
-- write to the session across instances. Returns the row, or a row of NULLs when there is no such session.
CREATE FUNCTION agno_memory.lock_session(p_user text, p_session text) RETURNS agno_memory.sessions
        LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    PERFORM agno_memory.make_commit_durable();
    SELECT * INTO v_s FROM agno_memory.sessions WHERE user_id = p_user AND session_id = p_session FOR UPDATE;
    RETURN v_s;
END $$;

CREATE FUNCTION agno_memory.create_session(p_user text, p_session text, p_agent text, p_at timestamptz,
        p_at_ns smallint) RETURNS SETOF agno_memory.sessions LANGUAGE plpgsql AS $$
DECLARE
    v_row agno_memory.sessions;
BEGIN
    SELECT * INTO v_row FROM agno_memory.sessions WHERE user_id = p_user AND session_id = p_session;
    IF NOT FOUND THEN
        PERFORM agno_memory.make_commit_durable();
        INSERT INTO agno_memory.sessions (user_id, session_id, agent_id, created_at, created_ns, updated_at,
                updated_ns, version)
        VALUES (p_user, p_session, p_agent, p_at, p_at_ns, p_at, p_at_ns, nextval('agno_memory.change_seq'))
        ON CONFLICT (user_id, session_id) DO NOTHING
        RETURNING * INTO v_row;
        IF NOT FOUND THEN -- created meanwhile by another transaction: this statement's snapshot sees it
            SELECT * INTO v_row FROM agno_memory.sessions WHERE user_id = p_user AND session_id = p_session;
        END IF;
    END IF;
    RETURN NEXT v_row;
END $$;

-- Outcomes of the session writes: OK, NO_SESSION, STALE_TURN (p_fence given and not the session's turn_epoch),
-- EARLIER_RUN, RUN_FINISHED, NOT_CURRENT_RUN. A write that does not return OK changed nothing.
CREATE FUNCTION agno_memory.append_messages(p_user text, p_session text, p_run text, p_at timestamptz,
        p_at_ns smallint, p_fence bigint, p_ids text[], p_roles text[], p_contents text[], p_tool_calls jsonb[],
        p_tool_call_ids text[], p_tool_names text[], p_errors boolean[], p_created timestamptz[],
        p_created_ns smallint[], p_payloads text[],
        OUT o_outcome text, OUT o_run_seq bigint, OUT o_first_index integer, OUT o_current_run text)
        LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    v_s := agno_memory.lock_session(p_user, p_session);
    IF v_s.id IS NULL THEN
        o_outcome := 'NO_SESSION';
        RETURN;
    END IF;
    o_current_run := v_s.current_run_id;
    IF p_fence IS NOT NULL AND p_fence <> v_s.turn_epoch THEN
        o_outcome := 'STALE_TURN';
        RETURN;
    END IF;
    IF v_s.current_run_id = p_run THEN
        IF v_s.current_run_finished THEN
            o_outcome := 'RUN_FINISHED';
            RETURN;
        END IF;
        o_run_seq := v_s.run_count - 1;
        o_first_index := v_s.current_run_messages;
    ELSE
        IF EXISTS (SELECT 1 FROM agno_memory.runs WHERE session = v_s.id AND run_id = p_run) THEN
            o_outcome := 'EARLIER_RUN';
            RETURN;
        END IF;
        o_run_seq := v_s.run_count;
        o_first_index := 0;
        INSERT INTO agno_memory.runs (session, seq, run_id, started_at, started_ns, status)
        VALUES (v_s.id, o_run_seq, p_run, p_at, p_at_ns, 'RUNNING');
    END IF;
    INSERT INTO agno_memory.messages (session, run_seq, idx, message_id, role, content, tool_calls, tool_call_id,
            tool_name, error, created_at, created_ns, payload)
    SELECT v_s.id, o_run_seq, o_first_index + m.ord - 1, m.id, m.role, m.content, m.tool_calls, m.tool_call_id,
           m.tool_name, m.error, m.created, m.created_ns, m.payload
    FROM unnest(p_ids, p_roles, p_contents, p_tool_calls, p_tool_call_ids, p_tool_names, p_errors, p_created,
                p_created_ns, p_payloads)
         WITH ORDINALITY AS m (id, role, content, tool_calls, tool_call_id, tool_name, error, created, created_ns,
                               payload, ord);
    UPDATE agno_memory.sessions
    SET run_count = o_run_seq + 1, current_run_id = p_run, current_run_finished = false,
        current_run_messages = o_first_index + cardinality(p_ids), version = nextval('agno_memory.change_seq'),
        updated_at = p_at, updated_ns = p_at_ns
    WHERE id = v_s.id;
    o_outcome := 'OK';
END $$;

CREATE FUNCTION agno_memory.finish_run(p_user text, p_session text, p_run text, p_fence bigint, p_status text,
        p_error text, p_model text, p_input_tokens bigint, p_output_tokens bigint, p_total_tokens bigint,
        p_model_calls integer, p_tool_calls integer, p_finish_reason text, p_at timestamptz, p_at_ns smallint,
        OUT o_outcome text, OUT o_current_run text) LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    v_s := agno_memory.lock_session(p_user, p_session);
    IF v_s.id IS NULL THEN
        o_outcome := 'NO_SESSION';
        RETURN;
    END IF;
    o_current_run := v_s.current_run_id;
    IF p_fence IS NOT NULL AND p_fence <> v_s.turn_epoch THEN
        o_outcome := 'STALE_TURN';
        RETURN;
    END IF;
    IF v_s.current_run_id IS DISTINCT FROM p_run THEN
        o_outcome := 'NOT_CURRENT_RUN';
        RETURN;
    END IF;
    o_outcome := 'OK';
    IF v_s.current_run_finished THEN -- the first outcome stays
        RETURN;
    END IF;
    UPDATE agno_memory.runs
    SET status = p_status, error = p_error, finished_at = p_at, finished_ns = p_at_ns, model = p_model,
        input_tokens = p_input_tokens, output_tokens = p_output_tokens, total_tokens = p_total_tokens,
        model_calls = p_model_calls, tool_calls = p_tool_calls, finish_reason = p_finish_reason
    WHERE session = v_s.id AND seq = v_s.run_count - 1;
    UPDATE agno_memory.sessions
    SET current_run_finished = true, model = coalesce(p_model, model), input_tokens = input_tokens + p_input_tokens,
        output_tokens = output_tokens + p_output_tokens, total_tokens = total_tokens + p_total_tokens,
        model_calls = model_calls + p_model_calls, tool_calls = tool_calls + p_tool_calls,
        finish_reason = coalesce(p_finish_reason, finish_reason), version = nextval('agno_memory.change_seq'),
        updated_at = p_at, updated_ns = p_at_ns
    WHERE id = v_s.id;
END $$;

-- Sets one of name, state or data (p_field) when it differs; returns the session row, none for no session.
-- A stale fence returns the row with turn_epoch <> p_fence and changes nothing.
CREATE FUNCTION agno_memory.update_session(p_user text, p_session text, p_fence bigint, p_field text,
        p_text text, p_data jsonb, p_at timestamptz, p_at_ns smallint)
        RETURNS SETOF agno_memory.sessions LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    v_s := agno_memory.lock_session(p_user, p_session);
    IF v_s.id IS NULL THEN
        RETURN;
    END IF;
    IF (p_fence IS NOT NULL AND p_fence <> v_s.turn_epoch)
            OR (p_field = 'name' AND v_s.name IS NOT DISTINCT FROM p_text)
            OR (p_field = 'state' AND v_s.state = p_text)
            OR (p_field = 'data' AND v_s.data = p_data) THEN
        RETURN NEXT v_s;
        RETURN;
    END IF;
    RETURN QUERY
    UPDATE agno_memory.sessions
    SET name = CASE WHEN p_field = 'name' THEN p_text ELSE name END,
        state = CASE WHEN p_field = 'state' THEN p_text ELSE state END,
        data = CASE WHEN p_field = 'data' THEN p_data ELSE data END,
        version = nextval('agno_memory.change_seq'), updated_at = p_at, updated_ns = p_at_ns
    WHERE id = v_s.id
    RETURNING *;
END $$;

CREATE FUNCTION agno_memory.save_summary(p_user text, p_session text, p_fence bigint, p_summary text,
        p_topics text[], p_last_run bigint, p_summary_at timestamptz, p_summary_ns smallint, p_at timestamptz,
        p_at_ns smallint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    v_s := agno_memory.lock_session(p_user, p_session);
    IF v_s.id IS NULL THEN
        RETURN 'NO_SESSION';
    END IF;
    IF p_fence IS NOT NULL AND p_fence <> v_s.turn_epoch THEN
        RETURN 'STALE_TURN';
    END IF;
    UPDATE agno_memory.sessions
    SET summary = p_summary, summary_topics = p_topics, summary_last_run = p_last_run,
        summary_updated_at = p_summary_at, summary_updated_ns = p_summary_ns,
        version = nextval('agno_memory.change_seq'), updated_at = p_at, updated_ns = p_at_ns
    WHERE id = v_s.id;
    RETURN 'OK';
END $$;

CREATE FUNCTION agno_memory.delete_session(p_user text, p_session text, p_fence bigint) RETURNS text
        LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    v_s := agno_memory.lock_session(p_user, p_session);
    IF v_s.id IS NULL THEN
        RETURN 'NO_SESSION';
    END IF;
    IF p_fence IS NOT NULL AND p_fence <> v_s.turn_epoch THEN
        RETURN 'STALE_TURN';
    END IF;
    -- set-based, children first (the cascades would delete row by row)
    DELETE FROM agno_memory.messages WHERE session = v_s.id;
    DELETE FROM agno_memory.runs WHERE session = v_s.id;
    DELETE FROM agno_memory.sessions WHERE id = v_s.id;
    RETURN 'OK';
END $$;

-- Every memory write of a user locks that user's memory_versions row first, so they are serialized per user.
CREATE FUNCTION agno_memory.lock_memories(p_user text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM agno_memory.memory_versions WHERE user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO agno_memory.memory_versions (user_id, version) VALUES (p_user, 0) ON CONFLICT DO NOTHING;
        PERFORM 1 FROM agno_memory.memory_versions WHERE user_id = p_user FOR UPDATE;
    END IF;
END $$;

CREATE FUNCTION agno_memory.record_memory_change(p_user text, p_memory_id text, p_kind text,
        p_before agno_memory.memories, p_after agno_memory.memories, p_at timestamptz, p_at_ns smallint,
        p_cause text, p_cause_session text, p_cause_run text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_version bigint := nextval('agno_memory.change_seq');
BEGIN
    UPDATE agno_memory.memory_versions SET version = v_version WHERE user_id = p_user;
    INSERT INTO agno_memory.memory_history (user_id, memory_id, seq, kind, previous_memory, previous_topics,
            new_memory, new_topics, at, at_ns, cause, cause_session_id, cause_run_id)
    VALUES (p_user, p_memory_id, v_version, p_kind, p_before.memory, coalesce(p_before.topics, '{}'),
            p_after.memory, coalesce(p_after.topics, '{}'), p_at, p_at_ns, p_cause, p_cause_session, p_cause_run);
END $$;

CREATE FUNCTION agno_memory.save_memory(p_user text, p_memory_id text, p_memory text, p_topics text[],
        p_input text, p_created timestamptz, p_created_ns smallint, p_updated timestamptz, p_updated_ns smallint,
        p_agent text, p_at timestamptz, p_at_ns smallint, p_cause text, p_cause_session text, p_cause_run text)
        RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_before agno_memory.memories;
    v_after agno_memory.memories;
BEGIN
    PERFORM agno_memory.make_commit_durable();
    PERFORM agno_memory.lock_memories(p_user);
    SELECT * INTO v_before FROM agno_memory.memories WHERE user_id = p_user AND memory_id = p_memory_id;
    IF FOUND AND v_before.memory = p_memory AND v_before.topics = p_topics
            AND v_before.input IS NOT DISTINCT FROM p_input AND v_before.created_at = p_created
            AND v_before.created_ns = p_created_ns AND v_before.updated_at = p_updated
            AND v_before.updated_ns = p_updated_ns AND v_before.agent_id IS NOT DISTINCT FROM p_agent THEN
        RETURN; -- equal to the stored memory: nothing changes, nothing is recorded
    END IF;
    INSERT INTO agno_memory.memories (user_id, memory_id, memory, topics, input, created_at, created_ns, updated_at,
            updated_ns, agent_id)
    VALUES (p_user, p_memory_id, p_memory, p_topics, p_input, p_created, p_created_ns, p_updated, p_updated_ns,
            p_agent)
    ON CONFLICT (user_id, memory_id) DO UPDATE
    SET memory = excluded.memory, topics = excluded.topics, input = excluded.input,
        created_at = excluded.created_at, created_ns = excluded.created_ns, updated_at = excluded.updated_at,
        updated_ns = excluded.updated_ns, agent_id = excluded.agent_id
    RETURNING * INTO v_after;
    PERFORM agno_memory.record_memory_change(p_user, p_memory_id,
            CASE WHEN v_before.memory_id IS NULL THEN 'ADDED' ELSE 'UPDATED' END, v_before, v_after, p_at, p_at_ns,
            p_cause, p_cause_session, p_cause_run);
END $$;

CREATE FUNCTION agno_memory.delete_memory(p_user text, p_memory_id text, p_at timestamptz, p_at_ns smallint,
        p_cause text, p_cause_session text, p_cause_run text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_before agno_memory.memories;
BEGIN
    PERFORM agno_memory.make_commit_durable();
    PERFORM agno_memory.lock_memories(p_user);
    DELETE FROM agno_memory.memories WHERE user_id = p_user AND memory_id = p_memory_id RETURNING * INTO v_before;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM agno_memory.record_memory_change(p_user, p_memory_id, 'DELETED', v_before, NULL, p_at, p_at_ns,
            p_cause, p_cause_session, p_cause_run);
    RETURN true;
END $$;

-- Deletes the user's memories, embeddings and history; returns how many memories there were.
CREATE FUNCTION agno_memory.delete_memories(p_user text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_memories integer;
    v_history integer;
BEGIN
    PERFORM agno_memory.make_commit_durable();
    PERFORM agno_memory.lock_memories(p_user);
    DELETE FROM agno_memory.memory_embeddings WHERE user_id = p_user;
    DELETE FROM agno_memory.memories WHERE user_id = p_user;
    GET DIAGNOSTICS v_memories = ROW_COUNT;
    DELETE FROM agno_memory.memory_history WHERE user_id = p_user;
    GET DIAGNOSTICS v_history = ROW_COUNT;
    IF v_memories > 0 OR v_history > 0 THEN
        UPDATE agno_memory.memory_versions SET version = nextval('agno_memory.change_seq') WHERE user_id = p_user;
    END IF;
    RETURN v_memories;
END $$;

CREATE FUNCTION agno_memory.save_memory_embedding(p_user text, p_memory_id text, p_model text, p_text text,
        p_vector real[]) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM agno_memory.make_commit_durable();
    PERFORM agno_memory.lock_memories(p_user);
    IF NOT EXISTS (SELECT 1 FROM agno_memory.memories WHERE user_id = p_user AND memory_id = p_memory_id) THEN
        RETURN false;
    END IF;
    INSERT INTO agno_memory.memory_embeddings (user_id, memory_id, model, memory_text, vector)
    VALUES (p_user, p_memory_id, p_model, p_text, p_vector)
    ON CONFLICT (user_id, memory_id) DO UPDATE
    SET model = excluded.model, memory_text = excluded.memory_text, vector = excluded.vector;
    RETURN true;
END $$;

INSERT INTO agno_memory.agno_memory_schema (version, description, product)
VALUES (1, 'sessions, runs, messages, summaries, memories with history and embeddings', 'agno-memory');
