package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index contract on a Lucene directory, and what is Lucene's own: damaged and locked directories, id limits. */
class LuceneConversationIndexTest extends ConversationIndexContractTest {

    @TempDir
    Path dir;

    static LuceneConversationIndex inMemory(TextEmbedder embedder) {
        return LuceneConversationIndex.builder().inMemory().embedder(embedder).build();
    }

    @Override
    protected ConversationIndex open(TextEmbedder embedder) {
        return LuceneConversationIndex.builder().directory(dir).embedder(embedder).build();
    }

    @Override
    protected long size(ConversationIndex index) {
        return ((LuceneConversationIndex) index).size();
    }

    @Test
    void aDamagedIndexStartsEmptyAndStaysUsable() throws IOException {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            index.add(session("alice", "s", "hello there"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().equals("write.lock")).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                for (int i = 0; i < bytes.length; i += 7) {
                    bytes[i] ^= 0x5a;
                }
                Files.write(f, bytes);
            }
        }
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            assertThat(index.size()).isZero();
            assertThat(index.indexedSessions()).isEmpty();
            index.add(session("alice", "s", "hello again"));
            assertThat(index.search("alice", "hello", 5)).extracting(h -> h.message().text())
                    .containsExactly("hello again");
        }
    }

    @Test
    void aDirectoryInUseIsRefusedNamingIt() {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            assertThatThrownBy(() -> LuceneConversationIndex.builder().directory(dir).embedder(new HashingEmbedder())
                    .build()).isInstanceOf(SearchIndexException.class).hasMessageContaining(dir.toString())
                    .hasMessageContaining("in use");
            index.add(session("alice", "s", "still works"));
            assertThat(index.search("alice", "works", 1)).hasSize(1);
        }
    }

    @Test
    void idsLongerThanATermCanHoldAndBadBuilderSettingsAreRefused() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            assertThatThrownBy(() -> index.add(List.of(message("a".repeat(9000), "s", 0, 0, Role.USER, "x"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userId");
        }
        assertThatThrownBy(() -> LuceneConversationIndex.builder().inMemory().build())
                .hasMessageContaining("embedder");
        assertThatThrownBy(() -> LuceneConversationIndex.builder().embedder(new HashingEmbedder()).build())
                .hasMessageContaining("directory");
    }
}
