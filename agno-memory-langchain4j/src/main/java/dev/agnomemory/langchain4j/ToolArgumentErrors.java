package dev.agnomemory.langchain4j;

import dev.langchain4j.service.tool.ToolArgumentsErrorHandler;
import dev.langchain4j.service.tool.ToolErrorHandlerResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when the model calls a tool with arguments that cannot be read (not JSON, a word where a number
 * belongs). LangChain4j 1.19's default fails the user's whole call; {@link #answerToModel()} answers the model
 * with a tool error instead, so it can correct itself and the call goes on.
 */
public final class ToolArgumentErrors {

    private static final Logger log = LoggerFactory.getLogger(ToolArgumentErrors.class);

    private ToolArgumentErrors() {
    }

    /**
     * A handler for {@code AiServices.builder(...).toolArgumentsErrorHandler(...)} that sends the problem back to
     * the model as the tool's (error) result. {@link AgnoChatMemoryProvider#attachTo} registers it unless told not
     * to.
     *
     * @return the handler
     */
    public static ToolArgumentsErrorHandler answerToModel() {
        return (error, context) -> {
            String tool = context.toolExecutionRequest().name();
            String problem = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
            log.debug("The model called tool {} with unreadable arguments {}: {}", tool,
                    context.toolExecutionRequest().arguments(), problem);
            return ToolErrorHandlerResult.text("Error: the arguments for tool " + tool + " could not be read ("
                    + problem + "). Call the tool again with a JSON object whose values match its parameters.");
        };
    }
}
