package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationHit;
import dev.agnomemory.core.search.IndexedMessage;
import dev.agnomemory.core.search.LuceneConversationIndex;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingModelTextEmbedderTest {

    @Test
    void theDefaultIsTheInProcessMiniLmAndABatchIsOneModelCall() {
        EmbeddingModelTextEmbedder minilm = EmbeddingModelTextEmbedder.allMiniLmL6V2();
        assertThat(minilm.modelId()).isEqualTo(AllMiniLmL6V2EmbeddingModel.class.getName());
        assertThat(minilm.dimensions()).isEqualTo(384);
        assertThat(EmbeddingModelTextEmbedder.allMiniLmL6V2()).isSameAs(minilm);

        List<List<String>> calls = new ArrayList<>();
        EmbeddingModelTextEmbedder embedder = EmbeddingModelTextEmbedder.of(new EmbeddingModel() {
            @Override
            public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
                calls.add(segments.stream().map(TextSegment::text).toList());
                return minilm.model().embedAll(segments);
            }

            @Override
            public int dimension() {
                return 384;
            }
        }, "minilm-recorded");

        List<float[]> vectors = embedder.embedAll(List.of("a cat sleeps", "a kitten naps", "tax forms"));

        assertThat(calls).containsExactly(List.of("a cat sleeps", "a kitten naps", "tax forms"));
        assertThat(vectors).hasSize(3).allSatisfy(v -> assertThat(v).hasSize(384));
        assertThat(cosine(vectors.get(0), vectors.get(1))).isGreaterThan(cosine(vectors.get(0), vectors.get(2)));
        assertThat(embedder.modelId()).isEqualTo("minilm-recorded");
    }

    @Test
    void theIndexFindsAMessageByMeaningWithMiniLm() {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().inMemory()
                .embedder(EmbeddingModelTextEmbedder.allMiniLmL6V2()).build()) {
            List<IndexedMessage> messages = new ArrayList<>();
            String[] texts = {"My daughter started violin lessons this week", "The quarterly tax forms are due",
                "We repainted the kitchen blue", "I adopted a small grey kitten"};
            for (int i = 0; i < texts.length; i++) {
                messages.add(new IndexedMessage(SessionKey.of("alice", "s" + i), "r" + i, new MessagePosition(0, 0),
                        Role.USER, Instant.EPOCH, texts[i]));
            }
            index.add(messages);

            List<ConversationHit> hits = index.search("alice", "new pet cat", 1); // no word in common

            assertThat(hits.get(0).message().text()).isEqualTo("I adopted a small grey kitten");
        }
    }

    @Test
    void aModelThatReturnsTooFewVectorsIsReported() {
        EmbeddingModelTextEmbedder broken = EmbeddingModelTextEmbedder.of(new EmbeddingModel() {
            @Override
            public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
                return Response.from(List.of(Embedding.from(new float[] {1f})));
            }

            @Override
            public int dimension() {
                return 1;
            }
        }, "broken");
        assertThatThrownBy(() -> broken.embedAll(List.of("a", "b"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("broken").hasMessageContaining("1 embeddings for 2 texts");
        assertThat(broken.embedAll(List.of())).isEmpty();
        assertThatThrownBy(() -> EmbeddingModelTextEmbedder.of(null)).hasMessageContaining("model");
        assertThatThrownBy(() -> EmbeddingModelTextEmbedder.of(broken.model(), " ")).hasMessageContaining("modelId");
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
