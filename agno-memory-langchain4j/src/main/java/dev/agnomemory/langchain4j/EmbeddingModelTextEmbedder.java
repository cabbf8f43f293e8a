package dev.agnomemory.langchain4j;

import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.search.TextEmbedder;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A LangChain4j {@link EmbeddingModel} as the core's {@link TextEmbedder}, for the conversation index.
 *
 * <p>Rules:
 * <ul>
 *   <li>One {@link EmbeddingModel#embedAll} call per {@link #embedAll} call: the caller's batch is the model's
 *       batch.</li>
 *   <li>{@link #modelId()}: the given id, or by default the model's class name, followed by
 *       {@code "/" + modelName()} when the model reports a name (as {@link UserMemoryRetriever} names its vectors).
 *       </li>
 *   <li>{@link #dimensions()}: the model's {@link EmbeddingModel#dimension()}, asked once.</li>
 *   <li>{@link #allMiniLmL6V2()}: the in-process all-MiniLM-L6-v2 (384 dimensions, no API key), created on first
 *       use and shared.</li>
 * </ul>
 */
public final class EmbeddingModelTextEmbedder implements TextEmbedder {

    private final EmbeddingModel model;
    private final String modelId;
    private volatile int dimensions;

    private EmbeddingModelTextEmbedder(EmbeddingModel model, String modelId, int dimensions) {
        this.model = model;
        this.modelId = modelId;
        this.dimensions = dimensions;
    }

    /**
     * @param model the model; must be thread-safe
     * @return the model as an embedder, with the default model id
     */
    public static EmbeddingModelTextEmbedder of(EmbeddingModel model) {
        Require.notNull(model, "model");
        return new EmbeddingModelTextEmbedder(model, defaultModelId(model), 0);
    }

    /**
     * @param model the model; must be thread-safe
     * @param modelId the id the index stores with the vectors (a different id later makes it re-embed), not blank
     * @return the model as an embedder
     */
    public static EmbeddingModelTextEmbedder of(EmbeddingModel model, String modelId) {
        Require.notNull(model, "model");
        return new EmbeddingModelTextEmbedder(model, Require.notBlank(modelId, "modelId").strip(), 0);
    }

    /** @return the shared in-process all-MiniLM-L6-v2 as an embedder (loads the model on first call) */
    public static EmbeddingModelTextEmbedder allMiniLmL6V2() {
        return DefaultModel.INSTANCE;
    }

    /** @return the wrapped model */
    public EmbeddingModel model() {
        return model;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int dimensions() {
        int d = dimensions;
        if (d == 0) {
            d = model.dimension();
            if (d <= 0) {
                throw new IllegalStateException("The embedding model " + modelId + " reports " + d + " dimensions");
            }
            dimensions = d;
        }
        return d;
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        Require.copyOf(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        List<Embedding> embeddings = model.embedAll(texts.stream().map(TextSegment::from).toList()).content();
        if (embeddings == null || embeddings.size() != texts.size()) {
            throw new IllegalStateException("The embedding model " + modelId + " returned "
                    + (embeddings == null ? "no" : embeddings.size()) + " embeddings for " + texts.size() + " texts");
        }
        List<float[]> vectors = new ArrayList<>(embeddings.size());
        for (Embedding e : embeddings) {
            vectors.add(e.vector());
        }
        return vectors;
    }

    @Override
    public String toString() {
        return "EmbeddingModelTextEmbedder[" + modelId + "]";
    }

    static String defaultModelId(EmbeddingModel model) {
        String name = model.getClass().getName();
        String modelName = model.modelName();
        return modelName == null || modelName.isBlank() || modelName.equals("unknown")
                ? name : name + "/" + modelName.strip();
    }

    /** Loading MiniLM (90 MB ONNX) takes seconds, so it happens on first use. */
    private static final class DefaultModel {
        static final EmbeddingModelTextEmbedder INSTANCE = new EmbeddingModelTextEmbedder(
                new AllMiniLmL6V2EmbeddingModel(), AllMiniLmL6V2EmbeddingModel.class.getName(), 384);
    }
}
