package dev.agnomemory.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An {@link EmbeddingModel} decorator that records every text it embeds. */
final class CountingEmbeddingModel implements EmbeddingModel {

    private final EmbeddingModel delegate;
    private final List<String> texts = new CopyOnWriteArrayList<>();

    CountingEmbeddingModel(EmbeddingModel delegate) {
        this.delegate = delegate;
    }

    /** All single and batch calls of the default methods end here. */
    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        segments.forEach(s -> texts.add(s.text()));
        return delegate.embedAll(segments);
    }

    @Override
    public int dimension() {
        return delegate.dimension();
    }

    /** @return how many texts were embedded so far */
    int count() {
        return texts.size();
    }

    /** @return the texts embedded so far, in order */
    List<String> texts() {
        return List.copyOf(texts);
    }

    void reset() {
        texts.clear();
    }
}
