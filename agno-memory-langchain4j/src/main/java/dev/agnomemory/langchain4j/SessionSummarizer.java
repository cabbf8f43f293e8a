package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Agno's session summarizer, made incremental: a model folds the runs since the last summary into it, so its
 * input stays bounded however long the session gets (Agno sends the whole session, which outgrows the model).
 *
 * <p>Rules:
 * <ul>
 *   <li>The model gets the previous summary and topics, plus the completed runs after the one the summary covers
 *       ({@link SessionSummary#lastRunSequence()}), at most {@code maxRunsPerCall} runs per call; more runs are
 *       folded in over several calls, oldest first.</li>
 *   <li>Each message is cut to {@code maxCharsPerMessage} characters; tool results are left out and tool calls
 *       shown by name only.</li>
 *   <li>The answer is {@code {"summary": ..., "topics": [...]}}: a non-empty summary of at most 10,000
 *       characters and at most 20 topics. Anything else, after one repair request, stores nothing and is reported
 *       as a {@link MalformedModelOutputException}.</li>
 *   <li>Nothing to do (no new completed run) costs no model call.</li>
 * </ul>
 */
public final class SessionSummarizer {

    static final int MAX_SUMMARY_LENGTH = 10_000;

    private static final String SYSTEM_PROMPT = """
            You keep a running summary of a conversation between a user and an assistant. You get the summary \
            so far (it may be empty) and the exchanges that happened since. Write the new summary: what the \
            conversation is about, the user's requests, the important facts, decisions and open questions. Keep \
            what still matters from the summary so far; be concise (a few sentences to a few short paragraphs). \
            Also list the conversation's main topics as short phrases.""";

    private static final String SHAPE = """
            Answer with only a JSON object of this shape:
            {"summary": "The user is planning a trip to Lisbon ...", "topics": ["travel", "flights"]}""";

    private static final StructuredOutput<SessionSummaryDraft> OUTPUT = new StructuredOutput<>(schema(), SHAPE,
            node -> new SessionSummaryDraft(StructuredOutput.requiredText(node, "summary", MAX_SUMMARY_LENGTH),
                    StructuredOutput.texts(node, "topics", 20, 100)));

    private record SessionSummaryDraft(String summary, List<String> topics) {
    }

    private final ChatModel model;
    private final MemoryStorage storage;
    private final int maxRunsPerCall;
    private final int maxCharsPerMessage;

    private SessionSummarizer(Builder b) {
        this.model = b.model;
        this.storage = b.storage;
        this.maxRunsPerCall = b.maxRunsPerCall;
        this.maxCharsPerMessage = b.maxCharsPerMessage;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Brings the session's summary up to date and stores it.
     *
     * @param key the session
     * @return the new summary, or empty when there was nothing new (or no such session)
     * @throws MalformedModelOutputException when the model's answer is unusable (the stored summary is unchanged)
     */
    public Optional<SessionSummary> update(SessionKey key) {
        Require.notNull(key, "key");
        Optional<Session> session = storage.session(key);
        if (session.isEmpty()) {
            return Optional.empty();
        }
        SessionSummary current = session.get().summary().orElse(null);
        long covered = current == null ? -1 : current.lastRunSequence();
        long pending = session.get().runCount() - covered - 1;
        if (pending <= 0) {
            return Optional.empty();
        }
        // Only the runs after the summary are read: O(new runs), not O(session).
        List<Run> newRuns = RunsAfter.read(storage, key, covered, pending).stream().filter(Run::completed).toList();
        SessionSummary result = current;
        for (int from = 0; from < newRuns.size(); from += maxRunsPerCall) {
            List<Run> chunk = newRuns.subList(from, Math.min(newRuns.size(), from + maxRunsPerCall));
            SessionSummaryDraft draft = OUTPUT.ask(model, SYSTEM_PROMPT, prompt(result, chunk));
            result = new SessionSummary(draft.summary(), draft.topics(), chunk.get(chunk.size() - 1).sequence(),
                    Instant.now());
            storage.saveSummary(key, result);
        }
        return Optional.ofNullable(result == current ? null : result);
    }

    private String prompt(SessionSummary current, List<Run> runs) {
        StringBuilder out = new StringBuilder("<summary_so_far>\n");
        out.append(current == null ? "(none yet)" : current.summary());
        if (current != null && !current.topics().isEmpty()) {
            out.append("\nTopics: ").append(String.join(", ", current.topics()));
        }
        out.append("\n</summary_so_far>\n\n<new_exchanges>\n");
        for (Run run : runs) {
            for (Message m : run.messages()) {
                if (m.role() == Role.USER && !m.content().isEmpty()) {
                    out.append("User: ").append(cut(m.content())).append('\n');
                } else if (m.role() == Role.ASSISTANT) {
                    if (!m.toolCalls().isEmpty()) {
                        out.append("Assistant called: ")
                                .append(String.join(", ", m.toolCalls().stream().map(c -> c.name()).toList()))
                                .append('\n');
                    }
                    if (!m.content().isEmpty()) {
                        out.append("Assistant: ").append(cut(m.content())).append('\n');
                    }
                }
            }
        }
        return out.append("</new_exchanges>").toString();
    }

    private String cut(String text) {
        return text.length() <= maxCharsPerMessage ? text : text.substring(0, maxCharsPerMessage) + " [...]";
    }

    private static JsonSchema schema() {
        return JsonSchema.builder().name("session_summary").rootElement(JsonObjectSchema.builder()
                .addStringProperty("summary")
                .addProperty("topics", JsonArraySchema.builder().items(new JsonStringSchema()).build())
                .required("summary", "topics").additionalProperties(false).build()).build();
    }

    /** Configures a {@link SessionSummarizer}; validation happens in {@link #build()}. */
    public static final class Builder {
        private ChatModel model;
        private MemoryStorage storage;
        private int maxRunsPerCall = 10;
        private int maxCharsPerMessage = 2_000;

        private Builder() {
        }

        /**
         * @param model the model that writes summaries (may differ from the agent's model); required
         * @return this builder
         */
        public Builder chatModel(ChatModel model) {
            this.model = model;
            return this;
        }

        /**
         * @param storage where the sessions are; required
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * @param runs at most this many new runs per model call (default 10)
         * @return this builder
         */
        public Builder maxRunsPerCall(int runs) {
            this.maxRunsPerCall = runs;
            return this;
        }

        /**
         * @param chars each message is cut to this many characters in the summarizer's input (default 2,000)
         * @return this builder
         */
        public Builder maxCharsPerMessage(int chars) {
            this.maxCharsPerMessage = chars;
            return this;
        }

        /** @return the summarizer */
        public SessionSummarizer build() {
            Require.notNull(model, "chatModel");
            Require.notNull(storage, "storage");
            Require.positive(maxRunsPerCall, "maxRunsPerCall");
            Require.positive(maxCharsPerMessage, "maxCharsPerMessage");
            return new SessionSummarizer(this);
        }
    }
}
