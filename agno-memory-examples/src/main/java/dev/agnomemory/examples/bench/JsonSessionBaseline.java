package dev.agnomemory.examples.bench;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.UserMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

/**
 * The baseline: the persistent chat memory pattern of LangChain4j's examples. A plain MapDB file with transactions
 * holds every session as ONE JSON string of all its messages; each update (every added message, as
 * {@code ChatMemoryStore.updateMessages} is called) serializes the whole list again, puts it, and commits.
 *
 * <p>In favour of the baseline, the session's message list is kept in memory between updates (LangChain4j's
 * {@code MessageWindowChatMemory} also reads and parses the stored JSON before each add; that is not counted).
 *
 * <p>Sessions are used in turn like {@link AgnoStore}: each gets at most {@code runsPerSession} appended runs.
 */
final class JsonSessionBaseline implements AutoCloseable {

    private final DB db;
    private final HTreeMap<String, String> map;
    private final int runsPerSession;
    private final List<String> keys = new ArrayList<>();
    private final List<List<ChatMessage>> lists = new ArrayList<>();
    private long appended;
    private long textCursor;

    /** Creates the file and writes each session's pre-filled JSON once (one put per session, one commit). */
    JsonSessionBaseline(Path file, int runsPerSession, int sessionCount, TextPool texts) {
        this.runsPerSession = runsPerSession;
        this.db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
        this.map = db.hashMap("messages", Serializer.STRING, Serializer.STRING).createOrOpen();
        for (int i = 0; i < sessionCount; i++) {
            String key = "user-" + i + "/session-" + i;
            List<ChatMessage> list = new ArrayList<>(runsPerSession * 4 + 64);
            for (int r = 0; r < runsPerSession; r++) {
                list.addAll(List.of(runMessages(texts, textCursor)));
                textCursor += 4;
            }
            map.put(key, ChatMessageSerializer.messagesToJson(list));
            keys.add(key);
            lists.add(list);
        }
        db.commit();
    }

    /**
     * Appends one run: 4 updates, each re-serializing the whole session, putting it and committing.
     *
     * @return nanoseconds the 4 updates took
     */
    long appendRun(TextPool texts) {
        int i = (int) Math.min(appended / runsPerSession, keys.size() - 1);
        appended++;
        ChatMessage[] m = runMessages(texts, textCursor);
        textCursor += 4;
        String key = keys.get(i);
        List<ChatMessage> list = lists.get(i);
        long t0 = System.nanoTime();
        for (ChatMessage message : m) {
            list.add(message);
            map.put(key, ChatMessageSerializer.messagesToJson(list));
            db.commit();
        }
        return System.nanoTime() - t0;
    }

    /** Reads session 0, parses all of it and takes the last 3 runs (12 messages); returns a hash of them. */
    int readLast3() {
        List<ChatMessage> all = ChatMessageDeserializer.messagesFromJson(map.get(keys.get(0)));
        List<ChatMessage> last = all.subList(Math.max(0, all.size() - 12), all.size());
        int h = last.size();
        for (ChatMessage c : last) {
            h = 31 * h + c.type().ordinal();
        }
        return h;
    }

    private static ChatMessage[] runMessages(TextPool texts, long cursor) {
        return new ChatMessage[] {
            UserMessage.from(texts.get(cursor)),
            AiMessage.from(texts.get(cursor + 1)),
            UserMessage.from(texts.get(cursor + 2)),
            AiMessage.from(texts.get(cursor + 3)),
        };
    }

    @Override
    public void close() {
        db.close();
    }
}
