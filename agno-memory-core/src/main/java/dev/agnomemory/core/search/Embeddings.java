package dev.agnomemory.core.search;

import dev.agnomemory.core.internal.Require;
import java.util.ArrayList;
import java.util.List;

/**
 * How the indexes of this package call a {@link TextEmbedder}.
 *
 * <p>Rules:
 * <ul>
 *   <li>Texts go to the embedder in batches of at most the index's batch size, one {@code embedAll} call each.</li>
 *   <li>The answer is checked: one vector per text, each of {@link TextEmbedder#dimensions()} finite values;
 *       anything else is an {@link IllegalStateException} naming the model, and nothing is indexed.</li>
 *   <li>Vectors are normalized to length 1 (the zero vector stays zero), so a dot product is the cosine.</li>
 * </ul>
 */
final class Embeddings {

    private final TextEmbedder embedder;
    private final int batchSize;

    Embeddings(TextEmbedder embedder, int batchSize) {
        this.embedder = embedder;
        this.batchSize = batchSize;
    }

    /**
     * The checks an index's builder makes of its embedder settings.
     *
     * @throws IllegalArgumentException naming the parameter: {@code embedder}, {@code embedder.modelId()},
     *     {@code embedder.dimensions()} or {@code embeddingBatchSize}
     */
    static void require(TextEmbedder embedder, int batchSize) {
        Require.notNull(embedder, "embedder");
        Require.notBlank(embedder.modelId(), "embedder.modelId()");
        Require.positive(embedder.dimensions(), "embedder.dimensions()");
        Require.positive(batchSize, "embeddingBatchSize");
    }

    TextEmbedder embedder() {
        return embedder;
    }

    int dimensions() {
        return embedder.dimensions();
    }

    /** Embeds in batches; checks count, dimensions and values; returns normalized vectors. */
    List<float[]> embed(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += batchSize) {
            List<String> batch = texts.subList(from, Math.min(texts.size(), from + batchSize));
            List<float[]> vectors = embedder.embedAll(batch);
            if (vectors == null || vectors.size() != batch.size()) {
                throw new IllegalStateException("The embedder " + embedder.modelId() + " returned "
                        + (vectors == null ? "no" : vectors.size()) + " vectors for " + batch.size() + " texts");
            }
            for (float[] v : vectors) {
                out.add(normalized(v));
            }
        }
        return out;
    }

    /** @return the normalized vector of one text */
    float[] embed(String text) {
        return embed(List.of(text)).get(0);
    }

    private float[] normalized(float[] v) {
        if (v == null || v.length != embedder.dimensions()) {
            throw new IllegalStateException("The embedder " + embedder.modelId() + " returned a vector of "
                    + (v == null ? "null" : v.length + " dimensions") + " instead of " + embedder.dimensions());
        }
        double sum = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new IllegalStateException("The embedder " + embedder.modelId() + " returned a vector holding "
                        + x);
            }
            sum += (double) x * x;
        }
        float[] out = v.clone();
        if (sum > 0) {
            float scale = (float) (1.0 / Math.sqrt(sum));
            for (int i = 0; i < out.length; i++) {
                out[i] *= scale;
            }
        }
        return out;
    }
}
