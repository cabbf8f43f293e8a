package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the adapter reads a stored run's messages. Storage is append-only, so a message of a run is replaced (for
 * example a tool result that LangChain4j rolled back after a later tool of the same call failed, see
 * {@link AgnoChatMemory#set}) by appending the new message with the same {@link Message#id()}: the replacement
 * takes the place of the first message with that id, and the later copy is not read again.
 */
final class StoredMessages {

    private StoredMessages() {
    }

    /**
     * @param stored a run's messages as stored, in order
     * @return the messages with every replacement applied, in order
     */
    static List<Message> effective(List<Message> stored) {
        Map<String, Integer> firstIndex = null;
        List<Message> out = null;
        for (int i = 0; i < stored.size(); i++) {
            Message m = stored.get(i);
            if (firstIndex == null) {
                firstIndex = new HashMap<>();
            }
            Integer first = firstIndex.putIfAbsent(m.id(), i);
            if (first != null) {
                if (out == null) {
                    out = new ArrayList<>(stored.subList(0, i));
                }
                int at = indexOfId(out, m.id());
                out.set(at, m);
            } else if (out != null) {
                out.add(m);
            }
        }
        return out == null ? stored : out;
    }

    /**
     * @param messages a run's effective messages
     * @return what the user said in the run: its first user message with text
     */
    static Optional<Message> question(List<Message> messages) {
        return messages.stream().filter(m -> m.role() == Role.USER && !m.content().isEmpty()).findFirst();
    }

    /**
     * @param messages a run's effective messages
     * @return the run's final answer: its last assistant message that calls no tools
     */
    static Optional<Message> answer(List<Message> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            Message m = messages.get(i);
            if (m.role() == Role.ASSISTANT && m.toolCalls().isEmpty()) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    private static int indexOfId(List<Message> messages, String id) {
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).id().equals(id)) {
                return i;
            }
        }
        throw new IllegalStateException("no message " + id);
    }
}
