package dev.agnomemory.core.search;

import static dev.agnomemory.core.search.ConversationIndexContractTest.session;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removed text must leave every file of the index directory after {@link ConversationIndex#purgeDeleted()}. */
class PurgeDeletedTest {

    @TempDir
    Path dir;

    @Test
    void removedSessionsAndUsersLeaveNoBytesInTheIndexFiles() throws IOException {
        String sessionSecret = "quokkamarmaladeprotocol";
        String userSecret = "vermilionzeppelinharbor";
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            // Removed and kept messages share segments, so the purge has to rewrite segments, not just drop them.
            List<IndexedMessage> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                batch.addAll(session("alice", "keep-" + i, "a kept message number " + i, "kept reply " + i));
            }
            batch.addAll(session("alice", "forget", "my password hint is " + sessionSecret, "noted"));
            batch.addAll(session("carol", "c1", "carol says " + userSecret, "ok"));
            index.add(batch);
            index.commit();
            assertThat(filesContaining(sessionSecret)).as("the test looks where the text is").isNotEmpty();
            assertThat(filesContaining(userSecret)).isNotEmpty();

            index.removeSession(SessionKey.of("alice", "forget"));
            index.removeUser("carol");
            index.commit();
            assertThat(index.search("alice", sessionSecret, 5)).extracting(h -> h.message().sessionId())
                    .doesNotContain("forget");

            index.purgeDeleted();

            assertThat(filesContaining(sessionSecret)).isEmpty();
            assertThat(filesContaining(userSecret)).isEmpty();
            assertThat(index.size()).isEqualTo(40);
            assertThat(index.search("alice", "kept message number 7", 1).get(0).message().text())
                    .isEqualTo("a kept message number 7");
        }
        assertThat(filesContaining(sessionSecret)).isEmpty();
    }

    private List<Path> filesContaining(String text) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                // ISO-8859-1 maps each byte to one char, so this is a byte search for the (ASCII) text.
                if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(text)) {
                    found.add(f);
                }
            }
        }
        return found;
    }
}
