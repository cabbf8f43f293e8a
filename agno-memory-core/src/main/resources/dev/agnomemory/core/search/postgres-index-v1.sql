-- agno-memory's conversation index in PostgreSQL (PostgresConversationIndex), format 1.
--
-- Derived data: everything here can be rebuilt from the storage's messages, and is when it is missing or of another
-- format. It lives in the storage's schema (written here as agno_memory; PostgresConversationIndex replaces the
-- qualifier), and every row hangs off the storage's sessions row: deleting a session (delete_session) deletes its
-- index rows in the same transaction, by ON DELETE CASCADE.
--
-- Texts and ids are stored in the storage's form (see schema-v1.sql: NUL, unpaired surrogates and U+FDD0 escaped).

-- One row: the format of these tables and the embedding model of the vectors.
CREATE TABLE agno_memory.search_index (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    format     integer NOT NULL,
    model      text NOT NULL,
    dimensions integer NOT NULL
);

-- Stamps every change of a session's index rows, so an instance's cache of vectors can tell what changed.
CREATE SEQUENCE agno_memory.search_change_seq AS bigint;

-- One row per indexed session: the BM25 statistics of its messages, the change stamp, and the record of how far the
-- index has caught up with the stored session (NULL until recorded).
CREATE TABLE agno_memory.search_sessions (
    session       bigint PRIMARY KEY REFERENCES agno_memory.sessions (id) ON DELETE CASCADE,
    user_id       text COLLATE "C" NOT NULL,
    session_id    text COLLATE "C" NOT NULL,
    change        bigint NOT NULL,
    messages      integer NOT NULL DEFAULT 0,
    words_total   bigint NOT NULL DEFAULT 0,
    context_total bigint NOT NULL DEFAULT 0,
    version       bigint,
    created_s     bigint,
    created_ns    integer,
    through_run   bigint,
    through_idx   integer
);
CREATE INDEX search_sessions_by_user ON agno_memory.search_sessions (user_id, session_id);

-- One row per indexed message, keyed by its position in its session. words: the message's own text; context: the
-- text of the two indexed messages before it in its session and its own; vector: the normalized embedding, float32
-- big-endian, 4 bytes per dimension.
CREATE TABLE agno_memory.search_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session     bigint NOT NULL REFERENCES agno_memory.search_sessions (session) ON DELETE CASCADE,
    user_id     text COLLATE "C" NOT NULL,
    run_seq     bigint NOT NULL,
    idx         integer NOT NULL,
    run_id      text NOT NULL,
    role        text NOT NULL,
    created_s   bigint NOT NULL,
    created_ns  integer NOT NULL,
    text        text NOT NULL,
    words       tsvector NOT NULL,
    words_len   integer NOT NULL,
    context     tsvector NOT NULL,
    context_len integer NOT NULL,
    vector      bytea NOT NULL,
    change      bigint NOT NULL,
    UNIQUE (session, run_seq, idx)
);
CREATE INDEX search_messages_by_user ON agno_memory.search_messages (user_id);
CREATE INDEX search_messages_words ON agno_memory.search_messages USING gin (tsvector_to_array(words));
CREATE INDEX search_messages_context ON agno_memory.search_messages USING gin (tsvector_to_array(context));
