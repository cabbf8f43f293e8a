package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FieldExistsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * The Lucene documents of the index: one per message (which fields it has, how ids become terms, how a message is
 * read back), and one per recorded session ({@link IndexedSession}).
 *
 * <p>Rules:
 * <ul>
 *   <li>User, session and message ids are indexed as the exact UTF-16 code units of the ids (never a lossy UTF-8
 *       form), and the session key is length-prefixed, so two different ids can never share a term: the per-user
 *       filter cannot let another user's message through.</li>
 *   <li>Stored texts round-trip exactly: well-formed text is stored as a string, text with unpaired surrogates as
 *       UTF-16 bytes.</li>
 *   <li>A message is searchable by its own words ({@link #WORDS}), by its words together with those of the
 *       {@link #CONTEXT_BEFORE} messages before it in its session ({@link #CONTEXT}; a reply such as "Yes, it was
 *       amazing!" is found by the question it answers), and by its embedding vector ({@link #VECTOR}, the message's
 *       own text, normalized, compared by dot product).</li>
 *   <li>A session's record is a document with the session's user and session terms (so removing the session or
 *       user removes it too), its own id term, and no words, vector or position: no message query matches it.</li>
 * </ul>
 */
final class MessageDocuments {

    /** How many earlier messages of the session are indexed with a message in {@link #CONTEXT}. */
    static final int CONTEXT_BEFORE = 2;

    static final String USER = "user";
    static final String SESSION_KEY = "session_key";
    static final String ID = "id";
    static final String RUN_SEQUENCE = "run_sequence";
    static final String MESSAGE_INDEX = "message_index";
    static final String WORDS = "words";
    static final String CONTEXT = "context";
    static final String VECTOR = "vector";
    static final String RECORD_ID = "record_id";

    private static final String STORED_USER = "stored_user";
    private static final String STORED_SESSION = "stored_session";
    private static final String STORED_RUN = "stored_run";
    private static final String STORED_ROLE = "stored_role";
    private static final String STORED_SECONDS = "stored_seconds";
    private static final String STORED_NANOS = "stored_nanos";
    private static final String STORED_TEXT = "stored_text";
    private static final String RECORD_VERSION = "record_version";
    private static final String RECORD_CREATED_SECONDS = "record_created_seconds";
    private static final String RECORD_CREATED_NANOS = "record_created_nanos";
    private static final String RECORD_THROUGH_RUN = "record_through_run";
    private static final String RECORD_THROUGH_INDEX = "record_through_index";

    /** The stored fields {@link #read} needs. */
    static final Set<String> STORED = Set.of(STORED_USER, STORED_SESSION, STORED_RUN,
            RUN_SEQUENCE, MESSAGE_INDEX, STORED_ROLE, STORED_SECONDS, STORED_NANOS, STORED_TEXT);

    /** The stored fields {@link #readRecord} needs. */
    static final Set<String> RECORD_STORED = Set.of(STORED_USER, STORED_SESSION, RECORD_VERSION,
            RECORD_CREATED_SECONDS, RECORD_CREATED_NANOS, RECORD_THROUGH_RUN, RECORD_THROUGH_INDEX);

    /** Matches every message document and no record. */
    static final Query MESSAGES = new FieldExistsQuery(RUN_SEQUENCE);

    /** Matches every record document and no message. */
    static final Query RECORDS = new FieldExistsQuery(RECORD_ID);

    /** The longest id a term can hold: Lucene's term limit in UTF-16 bytes, with room for the prefixes. */
    static final int MAX_ID_LENGTH = 8_000;

    /** The order of a session's messages. */
    static final Sort POSITION_ORDER = new Sort(new SortField(RUN_SEQUENCE, SortField.Type.LONG),
            new SortField(MESSAGE_INDEX, SortField.Type.INT));
    static final Sort REVERSE_POSITION_ORDER = new Sort(new SortField(RUN_SEQUENCE, SortField.Type.LONG, true),
            new SortField(MESSAGE_INDEX, SortField.Type.INT, true));

    private MessageDocuments() {
    }

    static Document build(IndexedMessage m, List<String> textsBefore, float[] vector) {
        Document d = new Document();
        SessionKey key = m.session();
        d.add(new StringField(USER, userTerm(key.userId()).bytes(), Field.Store.NO));
        d.add(new StringField(SESSION_KEY, sessionTerm(key).bytes(), Field.Store.NO));
        d.add(new StringField(ID, idTerm(key, m.position()).bytes(), Field.Store.NO));
        storeString(d, STORED_USER, key.userId());
        storeString(d, STORED_SESSION, key.sessionId());
        storeString(d, STORED_RUN, m.runId());
        long run = m.position().runSequence();
        int index = m.position().index();
        d.add(new LongPoint(RUN_SEQUENCE, run));
        d.add(new NumericDocValuesField(RUN_SEQUENCE, run));
        d.add(new StoredField(RUN_SEQUENCE, run));
        d.add(new IntPoint(MESSAGE_INDEX, index));
        d.add(new NumericDocValuesField(MESSAGE_INDEX, index));
        d.add(new StoredField(MESSAGE_INDEX, index));
        d.add(new StoredField(STORED_ROLE, m.role().ordinal()));
        d.add(new StoredField(STORED_SECONDS, m.createdAt().getEpochSecond()));
        d.add(new StoredField(STORED_NANOS, m.createdAt().getNano()));
        storeString(d, STORED_TEXT, m.text());
        d.add(new TextField(WORDS, m.text(), Field.Store.NO));
        d.add(new TextField(CONTEXT, textsBefore.isEmpty() ? m.text()
                : String.join("\n", textsBefore) + "\n" + m.text(), Field.Store.NO));
        d.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
        return d;
    }

    static IndexedMessage read(Document d) {
        Role[] roles = Role.values();
        return new IndexedMessage(
                SessionKey.of(readString(d, STORED_USER), readString(d, STORED_SESSION)),
                readString(d, STORED_RUN),
                new MessagePosition(d.getField(RUN_SEQUENCE).numericValue().longValue(),
                        d.getField(MESSAGE_INDEX).numericValue().intValue()),
                roles[d.getField(STORED_ROLE).numericValue().intValue()],
                Instant.ofEpochSecond(d.getField(STORED_SECONDS).numericValue().longValue(),
                        d.getField(STORED_NANOS).numericValue().intValue()),
                readString(d, STORED_TEXT));
    }

    static Document buildRecord(IndexedSession r) {
        Document d = new Document();
        SessionKey key = r.key();
        d.add(new StringField(USER, userTerm(key.userId()).bytes(), Field.Store.NO));
        d.add(new StringField(SESSION_KEY, sessionTerm(key).bytes(), Field.Store.NO));
        d.add(new StringField(RECORD_ID, recordTerm(key).bytes(), Field.Store.NO));
        d.add(new NumericDocValuesField(RECORD_ID, 1)); // for RECORDS
        storeString(d, STORED_USER, key.userId());
        storeString(d, STORED_SESSION, key.sessionId());
        d.add(new StoredField(RECORD_VERSION, r.version()));
        d.add(new StoredField(RECORD_CREATED_SECONDS, r.createdAt().getEpochSecond()));
        d.add(new StoredField(RECORD_CREATED_NANOS, r.createdAt().getNano()));
        r.through().ifPresent(p -> {
            d.add(new StoredField(RECORD_THROUGH_RUN, p.runSequence()));
            d.add(new StoredField(RECORD_THROUGH_INDEX, p.index()));
        });
        return d;
    }

    static IndexedSession readRecord(Document d) {
        IndexableField run = d.getField(RECORD_THROUGH_RUN);
        Optional<MessagePosition> through = run == null ? Optional.empty()
                : Optional.of(new MessagePosition(run.numericValue().longValue(),
                        d.getField(RECORD_THROUGH_INDEX).numericValue().intValue()));
        return new IndexedSession(SessionKey.of(readString(d, STORED_USER), readString(d, STORED_SESSION)),
                d.getField(RECORD_VERSION).numericValue().longValue(),
                Instant.ofEpochSecond(d.getField(RECORD_CREATED_SECONDS).numericValue().longValue(),
                        d.getField(RECORD_CREATED_NANOS).numericValue().intValue()),
                through);
    }

    static Term recordTerm(SessionKey key) {
        return new Term(RECORD_ID, sessionTerm(key).bytes());
    }

    static Term userTerm(String userId) {
        return new Term(USER, utf16(userId));
    }

    static Term sessionTerm(SessionKey key) {
        return new Term(SESSION_KEY, utf16(key.userId().length() + ":" + key.userId() + key.sessionId()));
    }

    static Term idTerm(SessionKey key, MessagePosition position) {
        return new Term(ID, utf16(key.userId().length() + ":" + key.userId() + key.sessionId().length() + ":"
                + key.sessionId() + position));
    }

    /** The filter that keeps one user's messages, less one session of theirs when {@code excludedSessionId} is set. */
    static Query userFilter(String userId, String excludedSessionId) {
        Query user = new TermQuery(userTerm(userId));
        if (excludedSessionId == null) {
            return user;
        }
        return new BooleanQuery.Builder().add(user, Occur.FILTER)
                .add(new TermQuery(sessionTerm(SessionKey.of(userId, excludedSessionId))), Occur.MUST_NOT).build();
    }

    /** Messages of a session strictly before ({@code before == true}) or after a position. */
    static Query neighbours(SessionKey key, MessagePosition p, boolean before) {
        long run = p.runSequence();
        Query otherRuns = before ? LongPoint.newRangeQuery(RUN_SEQUENCE, Long.MIN_VALUE, run - 1)
                : LongPoint.newRangeQuery(RUN_SEQUENCE, run == Long.MAX_VALUE ? run : run + 1, Long.MAX_VALUE);
        Query sameRun = new BooleanQuery.Builder()
                .add(LongPoint.newExactQuery(RUN_SEQUENCE, run), Occur.FILTER)
                .add(before ? IntPoint.newRangeQuery(MESSAGE_INDEX, Integer.MIN_VALUE, p.index() - 1)
                        : IntPoint.newRangeQuery(MESSAGE_INDEX, p.index() + 1, Integer.MAX_VALUE), Occur.FILTER)
                .build();
        BooleanQuery.Builder either = new BooleanQuery.Builder().add(sameRun, Occur.SHOULD);
        if (before ? run > 0 : run < Long.MAX_VALUE) {
            either.add(otherRuns, Occur.SHOULD);
        }
        return new BooleanQuery.Builder().add(new TermQuery(sessionTerm(key)), Occur.FILTER)
                .add(either.build(), Occur.FILTER).build();
    }

    static void checkId(String id, String name) {
        if (id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(name + " must be at most " + MAX_ID_LENGTH + " characters long, but is "
                    + id.length());
        }
    }

    private static BytesRef utf16(String s) {
        ByteBuffer b = ByteBuffer.allocate(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            b.putChar(s.charAt(i));
        }
        return new BytesRef(b.array());
    }

    private static void storeString(Document d, String field, String value) {
        d.add(isWellFormed(value) ? new StoredField(field, value) : new StoredField(field, utf16(value)));
    }

    private static String readString(Document d, String field) {
        IndexableField f = d.getField(field);
        if (f.stringValue() != null) {
            return f.stringValue();
        }
        BytesRef bytes = f.binaryValue();
        // Decoded by hand: a charset decoder would replace the unpaired surrogates this form exists to keep.
        char[] chars = new char[bytes.length / 2];
        for (int i = 0; i < chars.length; i++) {
            int at = bytes.offset + 2 * i;
            chars[i] = (char) (((bytes.bytes[at] & 0xff) << 8) | (bytes.bytes[at + 1] & 0xff));
        }
        return new String(chars);
    }

    private static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
