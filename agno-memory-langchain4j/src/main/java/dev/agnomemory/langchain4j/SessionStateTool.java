package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.Optional;
import java.util.function.Function;

/**
 * Agno's agentic state: an {@code update_session_state(session_state_updates)} tool with which the model sets keys
 * of the session's state (a JSON object). The given top-level keys are merged into the stored state atomically
 * ({@link SessionStates}); only the session of the call's memory id is changed. Arguments that are not a JSON
 * object are answered to the model as an error; the call goes on.
 */
final class SessionStateTool implements AgnoTool {

    static final String NAME = "update_session_state";
    static final String UPDATES = "session_state_updates";

    /** Where the calling AI-service call writes its session: its turn's fenced view (see CallCoordinator). */
    private final Function<InvocationContext, MemoryStorage> writes;
    private final SessionKeyResolver resolver;
    private final String agentId;

    SessionStateTool(Function<InvocationContext, MemoryStorage> writes, SessionKeyResolver resolver,
            String agentId) {
        this.writes = writes;
        this.resolver = resolver;
        this.agentId = agentId;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Update the shared session state. Provide any updates as a JSON object of key-value "
                        + "pairs, for example {\"session_state_updates\": {\"shopping_list\": [\"milk\", \"eggs\"]}}.")
                .parameters(JsonObjectSchema.builder().addProperty(UPDATES, JsonObjectSchema.builder()
                        .description("The keys to set in the session state, with their new values.").build())
                        .required(UPDATES).build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        ObjectNode updates = arguments.object(UPDATES);
        SessionKey key = resolver.resolve(context.chatMemoryId());
        MemoryStorage storage = writes.apply(context);
        storage.getOrCreateSession(key, agentId);
        Optional<Session> updated = storage.updateSessionState(key, stored -> SessionStates.merge(stored, updates));
        return "Updated session state: " + updated.map(Session::state).orElse(Session.EMPTY_STATE);
    }
}
