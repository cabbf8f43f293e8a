package dev.agnomemory.langchain4j;

import dev.agnomemory.core.internal.Require;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolMemoryId;

/**
 * Agno's agentic memory: an {@code update_user_memory(task)} tool with which the model adds, changes or deletes
 * the current user's memories itself. The user is the one of the call's memory id ({@link ToolMemoryId}); no
 * argument can reach another user, and clearing removes only this user's memories. The task is carried out by
 * the {@link MemoryManager}; its outcome (or why it failed) is the tool's answer.
 */
public final class UserMemoryTool {

    private final MemoryManager manager;
    private final SessionKeyResolver resolver;

    /**
     * @param manager does the memory work
     * @param resolver how the call's memory id becomes a user
     */
    public UserMemoryTool(MemoryManager manager, SessionKeyResolver resolver) {
        this.manager = Require.notNull(manager, "manager");
        this.resolver = Require.notNull(resolver, "resolver");
    }

    /**
     * @param memoryId the call's memory id, filled in by LangChain4j
     * @param task what to remember, change or forget, in words
     * @return what changed
     */
    @Tool(name = "update_user_memory", value = "Adds, updates or deletes memories about the current user. Use it "
            + "when the user shares something worth remembering for later conversations, corrects a fact you "
            + "remember, or asks you to forget something.")
    public String updateUserMemory(@ToolMemoryId Object memoryId,
            @P(name = "task", description = "What to remember, change or forget, e.g. 'Remember that the user is "
                    + "vegetarian' or 'Forget everything about the user's address'.") String task) {
        if (task == null || task.isBlank()) {
            throw new IllegalArgumentException("task must describe what to remember, change or forget");
        }
        String userId = resolver.resolve(memoryId).userId();
        MemoryUpdate update = manager.runTask(userId, task);
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
