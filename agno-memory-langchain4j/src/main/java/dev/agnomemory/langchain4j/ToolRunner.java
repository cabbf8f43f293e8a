package dev.agnomemory.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.langchain4j.service.tool.ToolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link AgnoTool} for LangChain4j. Rules:
 * <ul>
 *   <li>Arguments the tool cannot use are answered to the model as an error result ({@code isError}) saying what
 *       to change; logged at DEBUG in one line, without a stack trace; the user's call goes on.</li>
 *   <li>Any other failure of the tool (storage, the memory model) is also answered to the model as an error
 *       result ("the tool failed: ..."), and logged once at WARN with its stack trace.</li>
 * </ul>
 */
final class ToolRunner implements ToolExecutor {

    private static final Logger log = LoggerFactory.getLogger(ToolRunner.class);

    private final AgnoTool tool;

    ToolRunner(AgnoTool tool) {
        this.tool = tool;
    }

    @Override
    public ToolExecutionResult executeWithContext(ToolExecutionRequest request, InvocationContext context) {
        String name = tool.specification().name();
        try {
            String answer = tool.run(ToolArguments.parse(name, request.arguments()), context);
            return ToolExecutionResult.builder().resultText(answer).build();
        } catch (ToolInputException e) {
            log.debug("The model called {} with arguments it cannot use ({}): {}", name,
                    ToolArguments.shorten(String.valueOf(request.arguments())), e.getMessage());
            return error(e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Tool {} failed for memory id {}; the model is told so and the call goes on", name,
                    context == null ? null : context.chatMemoryId(), e);
            return error(name + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : ToolArguments.shorten(e.getMessage())) + ". Do not call it again for this request.");
        }
    }

    @Override
    public String execute(ToolExecutionRequest request, Object memoryId) {
        return executeWithContext(request, InvocationContext.builder().chatMemoryId(memoryId).build()).resultText();
    }

    private static ToolExecutionResult error(String text) {
        return ToolExecutionResult.builder().isError(true).resultText(text).build();
    }
}
