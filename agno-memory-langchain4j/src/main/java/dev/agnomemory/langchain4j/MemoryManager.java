package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agno's memory manager: a model decides what to remember about a user and adds, updates or deletes the user's
 * memories. Works with any LangChain4j {@link ChatModel} (see {@link StructuredOutput}).
 *
 * <p>Rules:
 * <ul>
 *   <li>The model sees the user's existing memories with their ids (the newest {@code maxMemoriesShown}) and the
 *       user's message (or, for {@link #runTask}, a task such as "forget that I live in Oslo").</li>
 *   <li>It first decides whether the message holds something worth remembering: personal facts, preferences,
 *       life events, goals, personality. If not, nothing changes.</li>
 *   <li>Memories are short third-person statements with topics.</li>
 *   <li>Each operation is checked on its own before anything is stored: an update or delete must name one of
 *       this user's memories; text must be non-empty and at most 1,000 characters; at most 20 operations. A
 *       failing operation is skipped (and listed in {@link MemoryUpdate#rejected()}); the others apply.</li>
 *   <li>Output that is not usable JSON even after one repair request changes nothing and is reported as a
 *       {@link MalformedModelOutputException}.</li>
 *   <li>Only the given user's memories are ever read or changed; scoped to an agent ({@link Builder#agentId}),
 *       only the user's memories of that agent.</li>
 *   <li>The work for one user is serialized, across all managers of the process on the same storage, so two runs
 *       for one user never decide against a stale list (one could bring back a memory the other deleted).</li>
 *   <li>Every change is recorded in the memory's history ({@code MemoryStorage.memoryHistory}) with its cause: the
 *       memory model after a run, the agentic tool, or (for the public methods here) the application.</li>
 * </ul>
 */
public final class MemoryManager {

    private static final Logger log = LoggerFactory.getLogger(MemoryManager.class);

    static final int MAX_MEMORY_LENGTH = 1_000;
    static final int MAX_OPERATIONS = 20;

    private static final String SYSTEM_PROMPT = """
            You manage the long-term memories an assistant keeps about one user. Memories personalize later \
            conversations, so capture details such as:
            - personal facts: name, age, occupation, location, interests, preferences
            - significant life events or experiences the user shares
            - important context about the user's situation, challenges or goals
            - what the user likes or dislikes, their opinions, beliefs and values
            - anything else that gives insight into the user's personality, perspective or needs
            Do not store small talk, questions that reveal nothing about the user, or facts about other things.

            First decide whether the input holds something worth remembering. If it does not, return no \
            operations. Otherwise return operations on the existing memories:
            - "add": a new fact, as a short third-person statement ("The user is a nurse in Leeds."), with topics
            - "update": an existing memory (by memory_id) whose fact changed or should absorb the new detail
            - "delete": an existing memory (by memory_id) that the input contradicts or asks to forget
            Never repeat a fact that an existing memory already states.""";

    private static final String SHAPE = """
            Answer with only a JSON object of this shape:
            {"worth_remembering": true, "operations": [
              {"action": "add", "memory": "The user loves hiking.", "topics": ["hobbies"]},
              {"action": "update", "memory_id": "<id of an existing memory>", "memory": "...", "topics": ["..."]},
              {"action": "delete", "memory_id": "<id of an existing memory>"}]}
            Use {"worth_remembering": false, "operations": []} when there is nothing to remember.""";

    private static final StructuredOutput<List<JsonNode>> OUTPUT = new StructuredOutput<>(schema(), SHAPE,
            MemoryManager::operations);

    private final ChatModel model;
    private final MemoryStorage storage;
    private final int maxMemoriesShown;
    private final Consumer<MemoryUpdate> onChange;
    /** The agent the memories are scoped to, or null for all of the user's memories. */
    private final String agentId;

    private MemoryManager(Builder b) {
        this.model = b.model;
        this.storage = b.storage;
        this.maxMemoriesShown = b.maxMemoriesShown;
        this.onChange = b.onChange;
        this.agentId = b.agentId;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Lets the model update the user's memories from what the user said; the changes are recorded as the
     * application's.
     *
     * @param userId the user
     * @param userMessage what the user said
     * @return what changed
     * @throws MalformedModelOutputException when the model's answer is unusable (nothing changed)
     */
    public MemoryUpdate updateFromMessage(String userId, String userMessage) {
        Require.notNull(userMessage, "userMessage");
        return updateFromMessages(userId, List.of(userMessage), MemoryChangeCause.application());
    }

    /**
     * Lets the model update the user's memories from what the user said in one or more runs, oldest first.
     *
     * @param userId the user
     * @param userMessages what the user said, not empty
     * @param cause what the changes are recorded as
     * @return what changed
     */
    MemoryUpdate updateFromMessages(String userId, List<String> userMessages, MemoryChangeCause cause) {
        Require.notBlank(userId, "userId");
        Require.notNull(userMessages, "userMessages");
        if (userMessages.isEmpty()) {
            throw new IllegalArgumentException("userMessages must not be empty");
        }
        StringBuilder input = new StringBuilder();
        if (userMessages.size() == 1) {
            input.append("The user said:\n<user_message>\n").append(userMessages.get(0)).append("\n</user_message>");
        } else {
            input.append("The user said, in separate messages, oldest first:");
            for (String m : userMessages) {
                input.append("\n<user_message>\n").append(m).append("\n</user_message>");
            }
        }
        return run(userId, input.toString(), cause);
    }

    /**
     * Carries out a memory task (Agno's agentic memory), for example "remember that the user is vegetarian" or
     * "forget where the user works"; the changes are recorded as the application's.
     *
     * @param userId the user
     * @param task what to do, in words
     * @return what changed
     * @throws MalformedModelOutputException when the model's answer is unusable (nothing changed)
     */
    public MemoryUpdate runTask(String userId, String task) {
        return runTask(userId, task, MemoryChangeCause.application());
    }

    MemoryUpdate runTask(String userId, String task, MemoryChangeCause cause) {
        Require.notBlank(userId, "userId");
        Require.notBlank(task, "task");
        return run(userId, "Carry out this memory task for the user:\n<task>\n" + task + "\n</task>", cause);
    }

    private MemoryUpdate run(String userId, String input, MemoryChangeCause cause) {
        return UserLocks.withUser(storage, userId, () -> runLocked(userId, input, cause));
    }

    private MemoryUpdate runLocked(String userId, String input, MemoryChangeCause cause) {
        List<UserMemory> existing = storage.memories(userId).stream().filter(this::inScope).toList();
        List<UserMemory> shown = existing.stream()
                .sorted(Comparator.comparing(UserMemory::updatedAt).reversed()).limit(maxMemoriesShown).toList();
        StringBuilder prompt = new StringBuilder("Existing memories:\n<existing_memories>\n");
        if (shown.isEmpty()) {
            prompt.append("(none yet)\n");
        }
        for (UserMemory m : shown) {
            prompt.append("- memory_id: ").append(m.memoryId()).append(" | ").append(m.memory()).append('\n');
        }
        prompt.append("</existing_memories>\n\n").append(input);
        List<JsonNode> operations = OUTPUT.ask(model, SYSTEM_PROMPT, prompt.toString());
        MemoryUpdate update = apply(userId, shown, operations, cause);
        if (!update.rejected().isEmpty()) {
            log.warn("Skipped {} memory operation(s) the model asked for user {}: {}", update.rejected().size(),
                    userId, update.rejected());
        }
        if (!update.isEmpty()) {
            onChange.accept(update);
        }
        return update;
    }

    private MemoryUpdate apply(String userId, List<UserMemory> shown, List<JsonNode> operations,
            MemoryChangeCause cause) {
        Map<String, UserMemory> byId = new HashMap<>();
        shown.forEach(m -> byId.put(m.memoryId(), m));
        List<UserMemory> added = new ArrayList<>();
        List<UserMemory> updated = new ArrayList<>();
        List<UserMemory> deleted = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        for (JsonNode op : operations) {
            try {
                String action = op.path("action").asText();
                switch (action) {
                    case "add" -> {
                        UserMemory m = UserMemory.create(userId, memoryText(op), topics(op), null)
                                .withAgentId(agentId);
                        storage.saveMemory(m, cause);
                        added.add(m);
                    }
                    case "update" -> {
                        UserMemory current = existing(byId, op);
                        UserMemory m = current.withMemory(memoryText(op), topics(op));
                        storage.saveMemory(m, cause);
                        byId.put(m.memoryId(), m);
                        updated.add(m);
                    }
                    case "delete" -> {
                        UserMemory current = existing(byId, op);
                        if (storage.deleteMemory(userId, current.memoryId(), cause)) {
                            byId.remove(current.memoryId());
                            deleted.add(current);
                        }
                    }
                    default -> throw new MalformedModelOutputException("unknown action \"" + action + "\"");
                }
            } catch (MalformedModelOutputException e) {
                rejected.add(e.getMessage());
            }
        }
        return new MemoryUpdate(added, updated, deleted, rejected);
    }

    private boolean inScope(UserMemory memory) {
        return agentId == null || memory.agentId().filter(agentId::equals).isPresent();
    }

    private static UserMemory existing(Map<String, UserMemory> byId, JsonNode op) {
        String id = op.path("memory_id").asText("");
        UserMemory m = byId.get(id);
        if (m == null) {
            throw new MalformedModelOutputException("memory_id \"" + id + "\" is not one of the user's memories");
        }
        return m;
    }

    private static String memoryText(JsonNode op) {
        return StructuredOutput.requiredText(op, "memory", MAX_MEMORY_LENGTH);
    }

    private static List<String> topics(JsonNode op) {
        return StructuredOutput.texts(op, "topics", 10, 100);
    }

    private static List<JsonNode> operations(JsonNode answer) {
        JsonNode worth = answer.get("worth_remembering");
        JsonNode ops = answer.get("operations");
        if (worth != null && !worth.isBoolean()) {
            throw new MalformedModelOutputException("\"worth_remembering\" must be true or false");
        }
        if (ops == null || ops.isNull()) {
            if (worth != null && !worth.asBoolean()) {
                return List.of();
            }
            throw new MalformedModelOutputException("\"operations\" is missing");
        }
        if (!ops.isArray()) {
            throw new MalformedModelOutputException("\"operations\" must be a list");
        }
        if (worth != null && !worth.asBoolean()) {
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode op : ops) {
            if (!op.isObject()) {
                throw new MalformedModelOutputException("each operation must be an object");
            }
            out.add(op);
        }
        if (out.size() > MAX_OPERATIONS) {
            throw new MalformedModelOutputException("more than " + MAX_OPERATIONS + " operations");
        }
        return out;
    }

    private static JsonSchema schema() {
        JsonObjectSchema operation = JsonObjectSchema.builder()
                .addProperty("action", JsonEnumSchema.builder().enumValues("add", "update", "delete").build())
                .addStringProperty("memory_id", "id of an existing memory, for update and delete; empty for add")
                .addStringProperty("memory", "the fact, a short third-person statement; empty for delete")
                .addProperty("topics", JsonArraySchema.builder().items(new JsonStringSchema()).build())
                .required("action", "memory_id", "memory", "topics").additionalProperties(false).build();
        return JsonSchema.builder().name("memory_operations").rootElement(JsonObjectSchema.builder()
                .addBooleanProperty("worth_remembering")
                .addProperty("operations", JsonArraySchema.builder().items(operation).build())
                .required("worth_remembering", "operations").additionalProperties(false).build()).build();
    }

    /** Configures a {@link MemoryManager}; validation happens in {@link #build()}. */
    public static final class Builder {
        private ChatModel model;
        private MemoryStorage storage;
        private int maxMemoriesShown = 200;
        private Consumer<MemoryUpdate> onChange = update -> { };
        private String agentId;

        private Builder() {
        }

        /**
         * @param agentId scopes the memories to this agent ({@link MemoryScope#AGENT}): only the user's memories
         *     made by this agent are shown and changed, and new ones carry it; null (default) for all of the user's
         *     memories
         * @return this builder
         */
        public Builder agentId(String agentId) {
            this.agentId = agentId;
            return this;
        }

        /**
         * @param model the model that does the memory work (may differ from the agent's model); required
         * @return this builder
         */
        public Builder chatModel(ChatModel model) {
            this.model = model;
            return this;
        }

        /**
         * @param storage where the memories are; required
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * @param n how many of the user's newest memories the model sees (default 200), so its input stays bounded
         * @return this builder
         */
        public Builder maxMemoriesShown(int n) {
            this.maxMemoriesShown = n;
            return this;
        }

        /**
         * @param onChange told after memories changed (for example to refresh an embedding index)
         * @return this builder
         */
        public Builder onChange(Consumer<MemoryUpdate> onChange) {
            this.onChange = onChange;
            return this;
        }

        /** @return the manager */
        public MemoryManager build() {
            Require.notNull(model, "chatModel");
            Require.notNull(storage, "storage");
            Require.positive(maxMemoriesShown, "maxMemoriesShown");
            Require.notNull(onChange, "onChange");
            if (agentId != null) {
                Require.notBlank(agentId, "agentId");
            }
            return new MemoryManager(this);
        }
    }
}
