package dev.agnomemory.langchain4j;

import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.SessionKey;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;

/**
 * Agno's agentic memory: an {@code update_user_memory(task)} tool with which the model adds, changes or deletes
 * the current user's memories itself. The user is the one of the call's memory id; no argument can reach another
 * user. The task is carried out by the {@link MemoryManager}, recorded in each memory's history as a change of the
 * agentic tool in this session and run; its outcome (or why it failed) is the tool's answer.
 */
final class UserMemoryTool implements AgnoTool {

    static final String NAME = "update_user_memory";

    private final MemoryManager manager;
    private final SessionKeyResolver resolver;

    UserMemoryTool(MemoryManager manager, SessionKeyResolver resolver) {
        this.manager = manager;
        this.resolver = resolver;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Adds, updates or deletes memories about the current user. Use it when the user shares "
                        + "something worth remembering for later conversations, corrects a fact you remember, or "
                        + "asks you to forget something.")
                .parameters(JsonObjectSchema.builder().addStringProperty("task", "What to remember, change or "
                        + "forget, e.g. 'Remember that the user is vegetarian' or 'Forget everything about the "
                        + "user's address'.").required("task").build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        String task = arguments.text("task");
        SessionKey key = resolver.resolve(context.chatMemoryId());
        String runId = context.invocationId() == null ? null : context.invocationId().toString();
        MemoryUpdate update = manager.runTask(key.userId(), task,
                MemoryChangeCause.agenticTool(key.sessionId(), runId));
        if (update.isEmpty()) {
            return "No memory changed." + (update.rejected().isEmpty() ? "" : " Skipped: " + update.rejected());
        }
        StringBuilder out = new StringBuilder("Memories updated.");
        update.added().forEach(m -> out.append("\nAdded: ").append(m.memory()));
        update.updated().forEach(m -> out.append("\nUpdated: ").append(m.memory()));
        update.deleted().forEach(m -> out.append("\nDeleted: ").append(m.memory()));
        return out.toString();
    }
}
