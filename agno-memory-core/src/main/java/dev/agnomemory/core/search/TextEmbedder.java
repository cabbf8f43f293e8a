package dev.agnomemory.core.search;

import java.util.List;

/**
 * Turns texts into embedding vectors: the one thing the conversation index needs from an embedding model, so the
 * core never depends on a model library. The LangChain4j module adapts any {@code EmbeddingModel} to it.
 *
 * <p>Rules for implementations:
 * <ul>
 *   <li>{@link #modelId()} names the model and its configuration: the index stores it with the vectors, and a
 *       different id on a later start makes the index re-embed every message.</li>
 *   <li>{@link #embedAll(List)} returns one vector per text, in order, each of {@link #dimensions()} values.
 *       Callers pass batches (the index passes at most its batch size), so an implementation can embed them in
 *       one model call.</li>
 *   <li>Thread-safe: the index embeds from several threads at once.</li>
 * </ul>
 */
public interface TextEmbedder {

    /** @return the id of the model and configuration that makes the vectors, not blank */
    String modelId();

    /** @return the length of every vector this embedder returns, greater than 0 */
    int dimensions();

    /**
     * Embeds texts.
     *
     * @param texts the texts, not null, no null elements
     * @return one vector per text, in the same order, each of {@link #dimensions()} values
     */
    List<float[]> embedAll(List<String> texts);
}
