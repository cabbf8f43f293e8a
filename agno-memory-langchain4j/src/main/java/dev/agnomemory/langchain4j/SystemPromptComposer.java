package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.search.IndexedMessage;
import dev.langchain4j.data.message.SystemMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Composes the system message a session's prompt starts with: the AI service's own system message, then the
 * blocks of {@link MemoryPromptBlocks}.
 *
 * <p>Rules:
 * <ul>
 *   <li>The blocks follow the AI service's system message, separated by a blank line; without one, they are the
 *       system message; with neither, there is no system message.</li>
 *   <li><b>Memories</b> (Agno's {@code create_user_memories}): always there when on. The memories are the
 *       retriever's choice for the current user message; with no memories yet, a sentence saying so.</li>
 *   <li><b>Summary</b> (Agno's {@code create_session_summary}): only when the session has more runs than the
 *       history window holds (the model would otherwise not know what happened before the window) and a summary
 *       was saved.</li>
 *   <li><b>Related past messages</b> ({@code addRelatedPastMessagesToContext(k)}): the messages of the user's
 *       other sessions most related to the current user message ({@link RelatedPastMessages}' rules), inside
 *       {@code <related_past_messages>}; left out when none is found or the current user message is not known.</li>
 *   <li><b>Session state</b> (Agno's {@code add_session_state_to_context}): the session's state as stored at the
 *       start of the call, inside {@code <session_state>}; always there when on ({@code {}} when empty).</li>
 *   <li><b>Memory lookup failures</b> (an embedding model that is down) never fail the user's call: they are logged
 *       with their stack trace and the newest memories are used instead; a failed search for related past
 *       messages is logged likewise and the block left out.</li>
 *   <li><b>Semantic retrieval and related past messages need the current user message.</b> With the provider's listeners (or
 *       {@code attachTo}) it is known before the prompt is built; without them LangChain4j builds the prompt before
 *       adding the message, so the newest memories are used (never those closest to the previous message), and
 *       a warning says so once.</li>
 * </ul>
 * A prompt is recomposed only when one of its {@link Inputs} changed.
 */
final class SystemPromptComposer {

    private static final Logger log = LoggerFactory.getLogger(SystemPromptComposer.class);

    /**
     * Everything a composed system message depends on; equal inputs compose equal messages.
     *
     * @param base the AI service's system message, or null
     * @param memoriesVersion the user's memories version when the memories block is on, else 0
     * @param query the current user message when the memories are ranked by it, else null
     * @param summary the summary when the summary block is due
     * @param state the session state when its block is on, else null
     * @param relatedQuery the current user message when the related-messages block is on, else null
     */
    record Inputs(SystemMessage base, long memoriesVersion, String query, Optional<SessionSummary> summary,
            String state, String relatedQuery) {
    }

    private final UserMemoryRetriever retriever;
    private final boolean memoriesInPrompt;
    private final boolean summaryInPrompt;
    private final int historyRuns;
    private final boolean stateInPrompt;
    private final RelatedPastMessages related;
    private final AtomicBoolean warnedNoQuery = new AtomicBoolean();
    private final AtomicBoolean warnedNoRelatedQuery = new AtomicBoolean();

    /**
     * @param retriever picks the memories; null when the memories block is off
     * @param summaryInPrompt whether the summary block is on
     * @param historyRuns how many runs the history window holds (the summary rule)
     * @param stateInPrompt whether the session state block is on
     * @param related finds the related past messages; null when their block is off
     */
    SystemPromptComposer(UserMemoryRetriever retriever, boolean summaryInPrompt, int historyRuns,
            boolean stateInPrompt, RelatedPastMessages related) {
        this.retriever = retriever;
        this.memoriesInPrompt = retriever != null;
        this.summaryInPrompt = summaryInPrompt;
        this.historyRuns = historyRuns;
        this.stateInPrompt = stateInPrompt;
        this.related = related;
    }

    /** @return whether the prompt depends on the user's memories (so their version must be watched) */
    boolean usesMemories() {
        return memoriesInPrompt;
    }

    /**
     * @param base the AI service's system message, or null
     * @param session the stored session, or null before it is stored
     * @param memoriesVersion the user's memories version (read by the caller when {@link #usesMemories()})
     * @param query the current user message, or null when not known
     * @return the inputs of the prompt
     */
    Inputs inputs(SystemMessage base, Session session, long memoriesVersion, String query) {
        boolean summaryDue = summaryInPrompt && session != null && session.runCount() > historyRuns;
        return new Inputs(base, memoriesInPrompt ? memoriesVersion : 0,
                memoriesInPrompt && retriever.retrieval() == MemoryRetrieval.SEMANTIC ? query : null,
                summaryDue ? session.summary() : Optional.empty(),
                stateInPrompt ? (session == null ? Session.EMPTY_STATE : session.state()) : null,
                related != null ? query : null);
    }

    /**
     * @param key the session
     * @param inputs what to compose from
     * @param queryKnown whether the current user message is known (false before it is added, without listeners)
     * @return the system message, or null when there is none
     */
    SystemMessage compose(SessionKey key, Inputs inputs, boolean queryKnown) {
        String userId = key.userId();
        List<String> parts = new ArrayList<>(5);
        if (inputs.base() != null) {
            parts.add(inputs.base().text());
        }
        if (memoriesInPrompt) {
            parts.add(MemoryPromptBlocks.memories(memories(userId, inputs.query(), queryKnown)));
        }
        inputs.summary().ifPresent(s -> parts.add(MemoryPromptBlocks.summary(s)));
        if (related != null) {
            relatedPastMessages(key, inputs.relatedQuery(), queryKnown).ifPresent(parts::add);
        }
        if (inputs.state() != null) {
            parts.add(MemoryPromptBlocks.sessionState(inputs.state()));
        }
        if (parts.size() == 1 && inputs.base() != null) {
            return inputs.base(); // no blocks: the service's own message, not a copy of it
        }
        return parts.isEmpty() ? null : SystemMessage.from(String.join("\n\n", parts));
    }

    private List<UserMemory> memories(String userId, String query, boolean queryKnown) {
        if (retriever.retrieval() == MemoryRetrieval.SEMANTIC && !queryKnown
                && warnedNoQuery.compareAndSet(false, true)) {
            log.warn("Semantic memory retrieval cannot see the current user message without the provider's listeners "
                    + "(memory.attachTo(...) or .registerListeners(memory.listeners())); the newest memories are used");
        }
        try {
            return retriever.retrieve(userId, query);
        } catch (RuntimeException e) {
            log.warn("Retrieving the memories of user {} failed; the newest {} are used for this prompt", userId,
                    retriever.limit().isPresent() ? retriever.limit().getAsInt() : "all", e);
            return retriever.newest(userId);
        }
    }

    private Optional<String> relatedPastMessages(SessionKey key, String query, boolean queryKnown) {
        if (!queryKnown) {
            if (warnedNoRelatedQuery.compareAndSet(false, true)) {
                log.warn("Related past messages cannot be found without the current user message, which is not known "
                        + "without the provider's listeners (memory.attachTo(...) or .registerListeners(memory"
                        + ".listeners())); prompts go without them");
            }
            return Optional.empty();
        }
        try {
            List<IndexedMessage> messages = related.find(key, query);
            return messages.isEmpty() ? Optional.empty()
                    : Optional.of(MemoryPromptBlocks.relatedPastMessages(messages));
        } catch (RuntimeException e) {
            log.warn("Searching past messages related to the current message of {} failed; its prompt goes without "
                    + "them", key, e);
            return Optional.empty();
        }
    }
}
