-- agno-memory PostgreSQL schema, version 2: the turn of a session across application instances.
--
-- Brings version 1 (schema-v1.sql) to version 2; PostgresStorage applies it by itself, in the same transaction as
-- any earlier step. To apply it yourself, run it after schema-v1.sql the same way (see that file's header).
--
-- A session's turn is a lease: one caller (an AI-service call in some application instance) holds it, with an
-- epoch that no other turn of the store ever had, until it releases it or stops renewing it and the lease runs
-- out by the server's clock. Writes may carry the epoch (p_fence); they are applied only while it is the session's
-- current epoch. Version 1 reserved columns of sessions for this; but a call takes the turn before it creates its
-- session, and the turn must outlive the session's deletion and re-creation, so the turn gets its own table, and
-- its rows exist only while a turn is held or waited for.

ALTER TABLE agno_memory.sessions DROP COLUMN turn_holder, DROP COLUMN turn_expires_at;
COMMENT ON COLUMN agno_memory.sessions.turn_epoch IS 'Not stored here since schema version 2 (always 0): '
    'lock_session() sets this field of the row it returns to the current epoch from session_turns';

-- The current turn of a session. holder NULL: free (a row left by try_turn that granted nothing).
CREATE TABLE agno_memory.session_turns (
    user_id    text COLLATE "C" NOT NULL,
    session_id text COLLATE "C" NOT NULL,
    epoch      bigint NOT NULL,
    holder     text,
    expires_at timestamptz,
    PRIMARY KEY (user_id, session_id)
);

-- Callers waiting for a session's turn, first come first served by ticket. A waiter refreshes alive_until each
-- time it asks; one that stopped asking (crashed, gave up) loses its place when alive_until has passed.
CREATE TABLE agno_memory.session_turn_waiters (
    user_id     text COLLATE "C" NOT NULL,
    session_id  text COLLATE "C" NOT NULL,
    ticket      bigint NOT NULL,
    holder      text NOT NULL,
    alive_until timestamptz NOT NULL,
    PRIMARY KEY (user_id, session_id, ticket)
);

-- The epoch of the session's current turn; 0 when no one holds it (epochs start at 1). Read under a share lock:
-- a grant in progress is waited for, and a grant waits for the writes that checked the old epoch, so a write that
-- passed the check is committed before the turn changes hands.
CREATE FUNCTION agno_memory.turn_epoch(p_user text, p_session text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_epoch bigint;
BEGIN
    SELECT epoch INTO v_epoch FROM agno_memory.session_turns
    WHERE user_id = p_user AND session_id = p_session AND holder IS NOT NULL
    FOR SHARE;
    RETURN coalesce(v_epoch, 0);
END $$;

-- As in version 1, and the returned row's turn_epoch is the current turn's epoch: every session write function
-- compares it with its p_fence under the session's row lock.
CREATE OR REPLACE FUNCTION agno_memory.lock_session(p_user text, p_session text) RETURNS agno_memory.sessions
        LANGUAGE plpgsql AS $$
DECLARE
    v_s agno_memory.sessions;
BEGIN
    PERFORM agno_memory.make_commit_durable();
    SELECT * INTO v_s FROM agno_memory.sessions WHERE user_id = p_user AND session_id = p_session FOR UPDATE;
    v_s.turn_epoch := agno_memory.turn_epoch(p_user, p_session);
    RETURN v_s;
END $$;

-- create_session for the holder of a turn: returns no row, creating nothing, when p_fence is not current.
CREATE FUNCTION agno_memory.create_session_in_turn(p_user text, p_session text, p_agent text, p_at timestamptz,
        p_at_ns smallint, p_fence bigint) RETURNS SETOF agno_memory.sessions LANGUAGE plpgsql AS $$
BEGIN
    IF agno_memory.turn_epoch(p_user, p_session) <> p_fence THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM agno_memory.create_session(p_user, p_session, p_agent, p_at, p_at_ns);
END $$;

-- Takes the session's turn for p_holder when it is free (no holder, or the lease ran out by this server's clock)
-- and no live waiter has an earlier ticket than p_ticket (NULL: none yet); o_epoch is then the new epoch. Otherwise
-- the caller keeps (or gets) its place in line, o_ticket, and learns the holder and when its lease runs out
-- (o_retry_ms, NULL when the turn is free but others are ahead). Serialized per session by the session_turns
-- row's lock.
CREATE FUNCTION agno_memory.try_turn(p_user text, p_session text, p_holder text, p_ticket bigint,
        p_lease_ms bigint, OUT o_epoch bigint, OUT o_ticket bigint, OUT o_holder text, OUT o_retry_ms bigint)
        LANGUAGE plpgsql AS $$
DECLARE
    v_t agno_memory.session_turns;
    v_now timestamptz;
BEGIN
    PERFORM agno_memory.make_commit_durable();
    LOOP
        SELECT * INTO v_t FROM agno_memory.session_turns
        WHERE user_id = p_user AND session_id = p_session FOR UPDATE;
        EXIT WHEN FOUND;
        INSERT INTO agno_memory.session_turns (user_id, session_id, epoch) VALUES (p_user, p_session, 0)
        ON CONFLICT DO NOTHING;
    END LOOP;
    v_now := clock_timestamp();
    DELETE FROM agno_memory.session_turn_waiters
    WHERE user_id = p_user AND session_id = p_session AND alive_until < v_now;
    IF (v_t.holder IS NULL OR v_t.expires_at <= v_now) AND NOT EXISTS (
            SELECT 1 FROM agno_memory.session_turn_waiters
            WHERE user_id = p_user AND session_id = p_session AND (p_ticket IS NULL OR ticket < p_ticket)) THEN
        o_epoch := nextval('agno_memory.change_seq');
        UPDATE agno_memory.session_turns
        SET epoch = o_epoch, holder = p_holder, expires_at = v_now + p_lease_ms * interval '1 millisecond'
        WHERE user_id = p_user AND session_id = p_session;
        IF p_ticket IS NOT NULL THEN
            DELETE FROM agno_memory.session_turn_waiters
            WHERE user_id = p_user AND session_id = p_session AND ticket = p_ticket;
        END IF;
        RETURN;
    END IF;
    o_ticket := coalesce(p_ticket, nextval('agno_memory.change_seq'));
    INSERT INTO agno_memory.session_turn_waiters (user_id, session_id, ticket, holder, alive_until)
    VALUES (p_user, p_session, o_ticket, p_holder, v_now + p_lease_ms * interval '1 millisecond')
    ON CONFLICT (user_id, session_id, ticket) DO UPDATE SET alive_until = excluded.alive_until;
    IF v_t.holder IS NOT NULL AND v_t.expires_at > v_now THEN
        o_holder := v_t.holder;
        o_retry_ms := ceil(extract(epoch FROM v_t.expires_at - v_now) * 1000)::bigint;
    END IF;
END $$;

-- Extends the lease of the turn with epoch p_epoch; false when it is no longer the current turn (lost). A lease that
-- ran out while nobody took the turn is extended too.
CREATE FUNCTION agno_memory.renew_turn(p_user text, p_session text, p_epoch bigint, p_lease_ms bigint)
        RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE agno_memory.session_turns SET expires_at = clock_timestamp() + p_lease_ms * interval '1 millisecond'
    WHERE user_id = p_user AND session_id = p_session AND epoch = p_epoch AND holder IS NOT NULL;
    RETURN FOUND;
END $$;

-- Releases the turn with epoch p_epoch (nothing when it is no longer current), and when others wait for it, sends
-- p_payload on p_channel at commit, which wakes them in every instance that listens.
CREATE FUNCTION agno_memory.release_turn(p_user text, p_session text, p_epoch bigint, p_channel text,
        p_payload text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM agno_memory.session_turns
    WHERE user_id = p_user AND session_id = p_session AND epoch = p_epoch AND holder IS NOT NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM agno_memory.session_turn_waiters WHERE user_id = p_user AND session_id = p_session) THEN
        PERFORM pg_notify(p_channel, p_payload);
    END IF;
    RETURN true;
END $$;

-- A waiter gives up its place (timed out, interrupted); the others are woken, as the first of them may go now.
CREATE FUNCTION agno_memory.leave_turn_line(p_user text, p_session text, p_ticket bigint, p_channel text,
        p_payload text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM agno_memory.session_turn_waiters
    WHERE user_id = p_user AND session_id = p_session AND ticket = p_ticket;
    IF FOUND AND EXISTS (SELECT 1 FROM agno_memory.session_turn_waiters
                         WHERE user_id = p_user AND session_id = p_session) THEN
        PERFORM pg_notify(p_channel, p_payload);
    END IF;
END $$;

INSERT INTO agno_memory.agno_memory_schema (version, description, product)
VALUES (2, 'session turns across instances: leases with fencing epochs, a line of waiters', 'agno-memory');
