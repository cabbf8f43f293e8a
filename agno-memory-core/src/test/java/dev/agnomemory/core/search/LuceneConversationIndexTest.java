package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
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
    void indexingNewSessionsFlushesNoSegmentPerSession() throws IOException {
        // What a catch-up does for each session the index has no record of: remove it, then add it from its start.
        // Knowing the removed session empty, the index needs no look-up of earlier messages, so no refresh, which
        // would write each session's messages into a tiny segment of their own (slower to index and to search).
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            for (int i = 0; i < 6; i++) {
                index.removeSession(dev.agnomemory.core.SessionKey.of("alice", "s" + i));
                index.add(session("alice", "s" + i, "question " + i, "answer " + i));
            }
            assertThat(index.search("alice", "answer", 20)).hasSize(12);
        }
        try (Directory directory = FSDirectory.open(dir); DirectoryReader reader = DirectoryReader.open(directory)) {
            assertThat(reader.numDocs()).isEqualTo(12);
            assertThat(reader.leaves()).hasSize(1);
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
