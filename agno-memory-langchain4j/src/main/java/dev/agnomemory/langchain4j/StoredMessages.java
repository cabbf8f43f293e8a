package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    private static int indexOfId(List<Message> messages, String id) {
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).id().equals(id)) {
                return i;
            }
        }
        throw new IllegalStateException("no message " + id);
    }
}
