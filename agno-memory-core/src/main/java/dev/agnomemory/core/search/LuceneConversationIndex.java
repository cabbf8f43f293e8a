package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConversationIndex} in a Lucene index: BM25 over words, HNSW over embedding vectors, fused by
 * {@link HybridRanking}; in a directory on disk or in memory.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>What is searched.</b> Each message by its own words, by its words together with the two messages before
 *       it in its session, and by the meaning of its text (the {@link TextEmbedder}'s vector, the nearest
 *       {@value HybridRanking#APPROXIMATE_MEANING_DEPTH} by HNSW); the three rankings are fused as
 *       {@link HybridRanking} states. Words are analyzed as {@link ConversationAnalyzer} states
 *       (English stop words and stemming). Scoring: BM25 with k1 = 1.2, b = 0.4 (messages vary in length less
 *       than documents do, so length matters less than Lucene's default b = 0.75).</li>
 *   <li><b>Isolation.</b> Every search runs with a filter on the user's exact id inside Lucene, for the words
 *       and for the nearest-vector search alike; neighbours are read by exact session key.</li>
 *   <li><b>Embedding.</b> Texts are embedded in batches of {@link Builder#embeddingBatchSize(int)} (default
 *       {@value #DEFAULT_EMBEDDING_BATCH_SIZE}) outside any lock, so indexing threads embed in parallel; writing to
 *       the index is serialized. Vectors are normalized and stored in the index, so a restart does not recompute
 *       them.</li>
 *   <li><b>Model change.</b> The index records the embedder's {@link TextEmbedder#modelId()} and dimensions with
 *       each commit. Opened with another model, it re-embeds every message (logged), then commits.</li>
 *   <li><b>Durability.</b> Derived data: changes are durable after {@link #commit()}, {@link #purgeDeleted()} or
 *       {@link #close()}. An index directory that cannot be read (damaged, or written by an incompatible version)
 *       is logged and started empty, to be filled again from storage. A directory in use by another process is
 *       refused with a {@link SearchIndexException} naming it.</li>
 *   <li><b>Removal.</b> Removed messages are unsearchable at once; {@link #purgeDeleted()} merges away every
 *       segment that holds removed messages (no tolerance for "a few"), commits and drops the files no reader
 *       needs, so their text is gone from the directory once no search still runs on the older state.</li>
 *   <li>Thread-safe: searches run in parallel with each other and with indexing, and see every change made before
 *       they started.</li>
 *   <li><b>Threads.</b> A search embeds its query and runs the caller's catch-up
 *       ({@link #search(ConversationQuery, Runnable)}) on helper threads while it reads the index, reads again when
 *       the index was written meanwhile, and searches the vector graphs of the index's segments in parallel. Helpers are daemon threads, at most one per core, ended after 30 idle seconds; when
 *       none is free the calling thread does the work itself.</li>
 * </ul>
 *
 * <pre>{@code
 * try (LuceneConversationIndex index = LuceneConversationIndex.builder()
 *         .directory(Path.of("conversations-index")).embedder(embedder).build()) {
 *     index.add(messages);
 *     List<ConversationHit> hits = index.search("alice", "where did we go hiking?", 10);
 * }
 * }</pre>
 */
public final class LuceneConversationIndex implements ConversationIndex {

    private static final Logger log = LoggerFactory.getLogger(LuceneConversationIndex.class);

    /** The default {@link Builder#embeddingBatchSize(int)}. */
    public static final int DEFAULT_EMBEDDING_BATCH_SIZE = 64;

    private static final String FORMAT_KEY = "agno.format";
    /** 2: session records ({@link IndexedSession}) beside the messages. */
    private static final String FORMAT = "2";
    private static final String MODEL_KEY = "agno.embedding.model";
    private static final String DIMENSIONS_KEY = "agno.embedding.dimensions";
    /** Messages re-embedded per {@link #add} call after a model change. */
    private static final int REEMBED_CHUNK = 2_000;

    private static final Similarity SIMILARITY = new BM25Similarity(HybridRanking.BM25_K1, HybridRanking.BM25_B);

    private final String location;
    private final Directory directory;
    private final Embeddings embeddings;
    private final ConversationAnalyzer analyzer = new ConversationAnalyzer();
    private final IndexWriter writer;
    private final SearcherManager searchers;
    /** Serializes writes, so a message's context is read from a state that includes the messages before it. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The last messages indexed per session; guarded by {@link #writeLock}. */
    private final SessionTails tails = new SessionTails();
    /** Every session record of the index, read at open and written through; written under {@link #writeLock}. */
    private final SessionRecords records = new SessionRecords();
    /** Counts completed writes; searches refresh until they see at least the count at their start. */
    private final AtomicLong writes = new AtomicLong();
    private final Object refreshLock = new Object();
    private volatile long refreshedWrites;
    private volatile boolean closed;
    /** Embeds a query while its search reads the index, and searches the segments' vector graphs in parallel. */
    private final ThreadPoolExecutor helpers = HelperThreads.newPool("agno-memory-conversation-search",
            Math.max(2, Runtime.getRuntime().availableProcessors()));

    private LuceneConversationIndex(Builder b) throws IOException {
        this.location = b.path == null ? "in-memory conversation index" : "conversation index " + b.path;
        this.embeddings = new Embeddings(b.embedder, b.embeddingBatchSize);
        this.directory = b.path == null ? new ByteBuffersDirectory() : FSDirectory.open(b.path);
        IndexWriter opened = null;
        SearcherManager manager = null;
        try {
            try {
                opened = openWriter(false);
            } catch (LockObtainFailedException e) {
                throw new SearchIndexException("The " + location + " is in use by another process", e);
            } catch (IOException | IllegalStateException | IllegalArgumentException e) {
                // Damaged or foreign files (Lucene reports those as CorruptIndexException, IndexFormatToo*Exception,
                // EOFException, or an IllegalState/IllegalArgument for inconsistent metadata). The index is derived
                // data: start it empty. If the directory itself is unusable, creating fails too and is reported.
                log.warn("The {} cannot be read ({}); starting it empty, to be filled again from storage", location,
                        e.toString(), e);
                for (String file : directory.listAll()) {
                    if (!file.equals(IndexWriter.WRITE_LOCK_NAME)) {
                        directory.deleteFile(file); // even CREATE reads the old commit, so it must go first
                    }
                }
                opened = openWriter(true);
            }
            manager = new SearcherManager(opened, new SearcherFactory() {
                @Override
                public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
                    IndexSearcher searcher = new IndexSearcher(reader);
                    searcher.setSimilarity(SIMILARITY);
                    return searcher;
                }
            });
        } catch (IOException | RuntimeException e) {
            if (opened != null) {
                opened.rollback();
            }
            directory.close();
            helpers.shutdown();
            throw e;
        }
        this.writer = opened;
        this.searchers = manager;
        try {
            checkFormatAndModel();
            loadRecords();
        } catch (IOException | RuntimeException e) {
            searchers.close();
            writer.rollback();
            directory.close();
            helpers.shutdown();
            throw e;
        }
    }

    /** @return a builder; {@link Builder#embedder(TextEmbedder)} and a location are required */
    public static Builder builder() {
        return new Builder();
    }

    private IndexWriter openWriter(boolean create) throws IOException {
        TieredMergePolicy merges = new TieredMergePolicy();
        merges.setForceMergeDeletesPctAllowed(0.0); // purgeDeleted must leave no removed text behind
        IndexWriterConfig config = new IndexWriterConfig(analyzer)
                .setSimilarity(SIMILARITY)
                .setMergePolicy(merges)
                .setOpenMode(create ? IndexWriterConfig.OpenMode.CREATE : IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
        IndexWriter w = new IndexWriter(directory, config);
        if (!create) {
            try {
                // Opens every segment's files now, so damage is found here rather than at the first search.
                DirectoryReader.open(w).close();
            } catch (IOException | RuntimeException e) {
                w.rollback();
                throw e;
            }
        }
        return w;
    }

    private void loadRecords() throws IOException {
        searchers.maybeRefreshBlocking();
        IndexSearcher searcher = searchers.acquire();
        try {
            StoredFields stored = searcher.getIndexReader().storedFields();
            for (ScoreDoc d : searcher.search(MessageDocuments.RECORDS, Integer.MAX_VALUE).scoreDocs) {
                records.put(MessageDocuments.readRecord(stored.document(d.doc, MessageDocuments.RECORD_STORED)));
            }
        } finally {
            searchers.release(searcher);
        }
    }

    private void checkFormatAndModel() throws IOException {
        TextEmbedder embedder = embeddings.embedder();
        Map<String, String> data = new HashMap<>();
        Iterable<Map.Entry<String, String>> live = writer.getLiveCommitData();
        if (live != null) {
            live.forEach(e -> data.put(e.getKey(), e.getValue()));
        }
        boolean hasMessages = writer.getDocStats().numDocs > 0; // messages or records
        if (hasMessages && !FORMAT.equals(data.get(FORMAT_KEY))) {
            log.warn("The {} was written in another format ({}); starting it empty, to be filled again from storage",
                    location, data.get(FORMAT_KEY));
            writer.deleteAll();
        } else if (hasMessages && (!embedder.modelId().equals(data.get(MODEL_KEY))
                || !String.valueOf(embedder.dimensions()).equals(data.get(DIMENSIONS_KEY)))) {
            reembedAll(data.get(MODEL_KEY));
        }
        if (!embedder.modelId().equals(data.get(MODEL_KEY)) || !FORMAT.equals(data.get(FORMAT_KEY))
                || !String.valueOf(embedder.dimensions()).equals(data.get(DIMENSIONS_KEY))) {
            writer.setLiveCommitData(Map.of(FORMAT_KEY, FORMAT, MODEL_KEY, embedder.modelId(),
                    DIMENSIONS_KEY, String.valueOf(embedder.dimensions())).entrySet());
            writer.commit();
        }
    }

    /**
     * Reads every message and record back, drops the index's contents and adds them again, the messages with the
     * current model's vectors.
     */
    private void reembedAll(String previousModel) throws IOException {
        TextEmbedder embedder = embeddings.embedder();
        List<IndexedMessage> all = new ArrayList<>();
        List<IndexedSession> recorded = new ArrayList<>();
        searchers.maybeRefreshBlocking();
        IndexSearcher searcher = searchers.acquire();
        try {
            StoredFields stored = searcher.getIndexReader().storedFields();
            for (ScoreDoc d : searcher.search(MessageDocuments.MESSAGES, Integer.MAX_VALUE).scoreDocs) {
                all.add(MessageDocuments.read(stored.document(d.doc, MessageDocuments.STORED)));
            }
            for (ScoreDoc d : searcher.search(MessageDocuments.RECORDS, Integer.MAX_VALUE).scoreDocs) {
                recorded.add(MessageDocuments.readRecord(stored.document(d.doc, MessageDocuments.RECORD_STORED)));
            }
        } finally {
            searchers.release(searcher);
        }
        log.info("The {} was embedded with {}; re-embedding its {} messages with {}", location, previousModel,
                all.size(), embedder.modelId());
        Comparator<IndexedMessage> order = Comparator.comparing((IndexedMessage m) -> m.session().userId())
                .thenComparing(m -> m.session().sessionId()).thenComparing(IndexedMessage::position);
        all.sort(order);
        writer.deleteAll(); // also forgets the old vector dimension
        tails.clear();
        writes.incrementAndGet();
        for (int from = 0; from < all.size(); from += REEMBED_CHUNK) {
            add(all.subList(from, Math.min(all.size(), from + REEMBED_CHUNK)));
        }
        for (IndexedSession r : recorded) {
            writer.updateDocument(MessageDocuments.recordTerm(r.key()), MessageDocuments.buildRecord(r));
        }
        log.info("Re-embedded {} messages of the {}", all.size(), location);
    }

    @Override
    public void add(List<IndexedMessage> messages) {
        Require.notNull(messages, "messages");
        List<IndexedMessage> indexed = new ArrayList<>(messages.size());
        for (IndexedMessage m : messages) {
            Require.notNull(m, "messages element");
            MessageDocuments.checkId(m.session().userId(), "userId");
            MessageDocuments.checkId(m.session().sessionId(), "sessionId");
            if (!m.text().isBlank()) {
                indexed.add(m);
            }
        }
        ensureOpen();
        if (indexed.isEmpty()) {
            return;
        }
        List<float[]> vectors = embeddings.embed(indexed.stream().map(IndexedMessage::text).toList());
        // Per session, in position order; a repeated position keeps the last message given for it.
        Map<SessionKey, TreeMap<MessagePosition, Integer>> bySession = new LinkedHashMap<>();
        for (int i = 0; i < indexed.size(); i++) {
            bySession.computeIfAbsent(indexed.get(i).session(), k -> new TreeMap<>())
                    .put(indexed.get(i).position(), i);
        }
        writeLock.lock();
        IndexSearcher searcher = null;
        try {
            ensureOpen();
            for (Map.Entry<SessionKey, TreeMap<MessagePosition, Integer>> session : bySession.entrySet()) {
                SessionKey key = session.getKey();
                MessagePosition first = session.getValue().firstKey();
                List<String> known = tails.before(key, first).orElse(null);
                if (known == null) {
                    if (searcher == null) {
                        refreshIfNeeded();
                        searcher = searchers.acquire();
                    }
                    known = textsBefore(searcher, key, first);
                }
                Deque<String> before = new ArrayDeque<>(known);
                for (int i : session.getValue().values()) {
                    IndexedMessage m = indexed.get(i);
                    List<String> context = List.copyOf(before);
                    writer.updateDocument(MessageDocuments.idTerm(key, m.position()),
                            MessageDocuments.build(m, context, vectors.get(i)));
                    tails.indexed(key, m.position(), m.text(), context);
                    before.addLast(m.text());
                    if (before.size() > MessageDocuments.CONTEXT_BEFORE) {
                        before.removeFirst();
                    }
                }
            }
            writes.incrementAndGet();
        } catch (IOException e) {
            throw failure("add messages to", e);
        } finally {
            try {
                if (searcher != null) {
                    searchers.release(searcher);
                }
            } catch (IOException e) {
                log.warn("Could not release a searcher of the {}", location, e);
            } finally {
                writeLock.unlock();
            }
        }
    }

    /** The texts of the indexed messages right before {@code position} in the session, oldest first. */
    private List<String> textsBefore(IndexSearcher searcher, SessionKey key, MessagePosition position)
            throws IOException {
        List<IndexedMessage> before = neighbours(searcher, key, position, true, MessageDocuments.CONTEXT_BEFORE);
        return before.stream().map(IndexedMessage::text).toList();
    }

    @Override
    public void removeSession(SessionKey session) {
        Require.notNull(session, "session");
        delete(MessageDocuments.sessionTerm(session), () -> {
            tails.removeSession(session);
            records.removeSession(session);
        }, "remove session " + session.sessionId() + " from");
    }

    @Override
    public void removeUser(String userId) {
        Require.notBlank(userId, "userId");
        delete(MessageDocuments.userTerm(userId), () -> {
            tails.removeUser(userId);
            records.removeUser(userId);
        }, "remove a user from");
    }

    private void delete(Term term, Runnable forget, String what) {
        writeLock.lock();
        try {
            ensureOpen();
            forget.run();
            writer.deleteDocuments(term);
            writes.incrementAndGet();
        } catch (IOException e) {
            throw failure(what, e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public List<ConversationHit> search(ConversationQuery query) {
        return search(query, () -> { });
    }

    /**
     * {@inheritDoc} This index embeds the query and runs {@code catchUp} on threads of its own (each on the calling
     * thread when no helper is free) while it searches. When the index was written after the state it searched was
     * taken (by {@code catchUp} or anyone else), it searches again once {@code catchUp} is done; an index that is
     * current, the usual case, is searched once.
     */
    @Override
    public List<ConversationHit> search(ConversationQuery query, Runnable catchUp) {
        Require.notNull(query, "query");
        Require.notNull(catchUp, "catchUp");
        MessageDocuments.checkId(query.userId(), "userId");
        ensureOpen();
        Future<float[]> embedding = helpers.submit(() -> embeddings.embed(query.text()));
        Future<?> caughtUp = helpers.submit(catchUp);
        Query filter = MessageDocuments.userFilter(query.userId(), query.excludedSessionId());
        Map<String, Integer> terms = analyzer.queryTerms(MessageDocuments.WORDS, query.text());
        long seen = writes.get(); // the searcher below sees at least this state
        List<ConversationHit> hits = searchOnce(query, filter, terms, embedding);
        HelperThreads.await(caughtUp); // milliseconds of work: the search finishes, the flag is kept
        if (writes.get() != seen) {
            hits = searchOnce(query, filter, terms, embedding);
        }
        return hits;
    }

    private List<ConversationHit> searchOnce(ConversationQuery query, Query filter, Map<String, Integer> terms,
            Future<float[]> embedding) {
        try {
            refreshIfNeeded();
            IndexSearcher searcher = searchers.acquire();
            try {
                List<HybridRanking.Scored> words = lexical(searcher, MessageDocuments.WORDS, terms, filter);
                List<HybridRanking.Scored> context = lexical(searcher, MessageDocuments.CONTEXT, terms, filter);
                float[] vector = HelperThreads.await(embedding);
                int depth = HybridRanking.APPROXIMATE_MEANING_DEPTH;
                // Each segment's graph on a helper: worth it for the vector search only; for small queries
                // (neighbours) the hand-over would cost more than it saves.
                IndexSearcher segmentsInParallel = new IndexSearcher(searcher.getIndexReader(), helpers);
                List<HybridRanking.Scored> meaning = scored(segmentsInParallel.search(new KnnFloatVectorQuery(
                        MessageDocuments.VECTOR, vector, depth, filter), depth));
                List<HybridRanking.Scored> ranked = HybridRanking.fuse(words, context, meaning);
                StoredFields stored = searcher.getIndexReader().storedFields();
                List<ConversationHit> hits = new ArrayList<>(Math.min(query.limit(), ranked.size()));
                for (HybridRanking.Scored r : ranked.subList(0, Math.min(query.limit(), ranked.size()))) {
                    IndexedMessage m = MessageDocuments.read(stored.document((int) r.id(), MessageDocuments.STORED));
                    List<IndexedMessage> before = neighbours(searcher, m.session(), m.position(), true,
                            query.neighbours());
                    List<IndexedMessage> after = neighbours(searcher, m.session(), m.position(), false,
                            query.neighbours());
                    hits.add(new ConversationHit(m, r.score(), before, after));
                }
                return hits;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw failure("search", e);
        }
    }

    private static List<HybridRanking.Scored> scored(TopDocs top) {
        List<HybridRanking.Scored> out = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc d : top.scoreDocs) {
            out.add(new HybridRanking.Scored(d.doc, d.score));
        }
        return out;
    }

    private static List<HybridRanking.Scored> lexical(IndexSearcher searcher, String field, Map<String, Integer> terms,
            Query filter) throws IOException {
        if (terms.isEmpty()) {
            return List.of();
        }
        BooleanQuery.Builder words = new BooleanQuery.Builder();
        terms.forEach((word, count) -> {
            Query term = new TermQuery(new Term(field, word));
            words.add(count == 1 ? term : new BoostQuery(term, count), Occur.SHOULD);
        });
        Query query = new BooleanQuery.Builder().add(words.build(), Occur.MUST).add(filter, Occur.FILTER).build();
        return scored(searcher.search(query, HybridRanking.DEPTH));
    }

    /** Up to {@code count} messages right before or after a position in its session, oldest first. */
    private static List<IndexedMessage> neighbours(IndexSearcher searcher, SessionKey key, MessagePosition position,
            boolean before, int count) throws IOException {
        if (count == 0) {
            return List.of();
        }
        TopDocs top = searcher.search(MessageDocuments.neighbours(key, position, before), count,
                before ? MessageDocuments.REVERSE_POSITION_ORDER : MessageDocuments.POSITION_ORDER);
        StoredFields stored = searcher.getIndexReader().storedFields();
        List<IndexedMessage> out = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc d : top.scoreDocs) {
            out.add(MessageDocuments.read(stored.document(d.doc, MessageDocuments.STORED)));
        }
        if (before) {
            Collections.reverse(out);
        }
        return out;
    }

    @Override
    public Optional<MessagePosition> lastIndexedPosition(SessionKey session) {
        Require.notNull(session, "session");
        ensureOpen();
        try {
            refreshIfNeeded();
            IndexSearcher searcher = searchers.acquire();
            try {
                Query messages = new BooleanQuery.Builder()
                        .add(new TermQuery(MessageDocuments.sessionTerm(session)), Occur.FILTER)
                        .add(MessageDocuments.MESSAGES, Occur.FILTER).build();
                TopDocs top = searcher.search(messages, 1, MessageDocuments.REVERSE_POSITION_ORDER);
                if (top.scoreDocs.length == 0) {
                    return Optional.empty();
                }
                Document d = searcher.getIndexReader().storedFields().document(top.scoreDocs[0].doc,
                        MessageDocuments.STORED);
                return Optional.of(MessageDocuments.read(d).position());
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw failure("read", e);
        }
    }

    @Override
    public void recordSession(IndexedSession session) {
        Require.notNull(session, "session");
        MessageDocuments.checkId(session.key().userId(), "userId");
        MessageDocuments.checkId(session.key().sessionId(), "sessionId");
        writeLock.lock();
        try {
            ensureOpen();
            if (records.put(session)) {
                writer.updateDocument(MessageDocuments.recordTerm(session.key()), MessageDocuments.buildRecord(session));
                writes.incrementAndGet();
            }
        } catch (IOException e) {
            throw failure("record session " + session.key().sessionId() + " in", e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public Optional<IndexedSession> indexedSession(SessionKey session) {
        Require.notNull(session, "session");
        ensureOpen();
        return records.get(session);
    }

    @Override
    public List<IndexedSession> indexedSessions(String userId) {
        Require.notBlank(userId, "userId");
        ensureOpen();
        return records.ofUser(userId);
    }

    @Override
    public List<IndexedSession> indexedSessions() {
        ensureOpen();
        return records.all();
    }

    @Override
    public void commit() {
        ensureOpen();
        try {
            writer.commit();
        } catch (IOException e) {
            throw failure("commit", e);
        }
    }

    @Override
    public void purgeDeleted() {
        writeLock.lock();
        try {
            ensureOpen();
            writer.forceMergeDeletes(true);
            writer.commit();
            writes.incrementAndGet();
            refreshIfNeeded(); // releases the readers of the merged-away segments
            writer.deleteUnusedFiles();
        } catch (IOException e) {
            throw failure("purge removed messages from", e);
        } finally {
            writeLock.unlock();
        }
    }

    /** @return how many messages the index holds (committed or not, without removed ones) */
    public int size() {
        ensureOpen();
        try {
            refreshIfNeeded();
            IndexSearcher searcher = searchers.acquire();
            try {
                return searcher.count(MessageDocuments.MESSAGES);
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw failure("read", e);
        }
    }

    /** @return the embedder whose vectors this index holds */
    public TextEmbedder embedder() {
        return embeddings.embedder();
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            helpers.shutdown();
            try {
                searchers.close();
                writer.close(); // commits
            } finally {
                directory.close();
            }
        } catch (IOException e) {
            throw failure("close", e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "LuceneConversationIndex[" + location + ", embedder=" + embeddings.embedder().modelId() + "]";
    }

    /** Makes the searchers see every write completed before this call. */
    private void refreshIfNeeded() throws IOException {
        long target = writes.get();
        if (refreshedWrites >= target) {
            return;
        }
        synchronized (refreshLock) {
            long now = writes.get();
            if (refreshedWrites >= target) {
                return;
            }
            searchers.maybeRefreshBlocking();
            refreshedWrites = now;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("The " + location + " is closed");
        }
    }

    private SearchIndexException failure(String what, IOException e) {
        return new SearchIndexException("Could not " + what + " the " + location + ": " + e.getMessage(), e);
    }

    /** Builds a {@link LuceneConversationIndex}; validation happens in {@link #build()}. */
    public static final class Builder {
        private Path path;
        private boolean inMemory;
        private TextEmbedder embedder;
        private int embeddingBatchSize = DEFAULT_EMBEDDING_BATCH_SIZE;

        private Builder() {
        }

        /**
         * Keeps the index in a directory on disk (created when missing). Only one process may open it at a time.
         *
         * @param path the directory
         * @return this builder
         */
        public Builder directory(Path path) {
            this.path = path;
            this.inMemory = false;
            return this;
        }

        /**
         * Keeps the index in memory only (for tests and short-lived processes).
         *
         * @return this builder
         */
        public Builder inMemory() {
            this.inMemory = true;
            this.path = null;
            return this;
        }

        /**
         * @param embedder the model that embeds messages and queries; must be thread-safe
         * @return this builder
         */
        public Builder embedder(TextEmbedder embedder) {
            this.embedder = embedder;
            return this;
        }

        /**
         * @param embeddingBatchSize how many texts go to the embedder in one call (default
         *     {@value #DEFAULT_EMBEDDING_BATCH_SIZE})
         * @return this builder
         */
        public Builder embeddingBatchSize(int embeddingBatchSize) {
            this.embeddingBatchSize = embeddingBatchSize;
            return this;
        }

        /**
         * Opens the index, re-embedding its messages when it was built with another embedding model.
         *
         * @return the index
         * @throws IllegalArgumentException naming the parameter when a value is missing or invalid
         * @throws SearchIndexException when the directory cannot be opened or is in use by another process
         */
        public LuceneConversationIndex build() {
            Embeddings.require(embedder, embeddingBatchSize);
            if (path == null && !inMemory) {
                throw new IllegalArgumentException("directory must be set (or inMemory() chosen)");
            }
            try {
                return new LuceneConversationIndex(this);
            } catch (IOException e) {
                throw new SearchIndexException("Could not open the conversation index "
                        + (path == null ? "in memory" : path) + ": " + e.getMessage(), e);
            } catch (UncheckedIOException e) {
                throw new SearchIndexException("Could not open the conversation index "
                        + (path == null ? "in memory" : path) + ": " + e.getMessage(), e.getCause());
            }
        }
    }
}
