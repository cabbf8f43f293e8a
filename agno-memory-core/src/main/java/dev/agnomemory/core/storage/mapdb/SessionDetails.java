package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionSummary;
import java.util.Map;

/**
 * The larger, seldom changed part of a session, kept apart from its {@link SessionHead}.
 *
 * @param data the adapters' string map
 * @param state the session state, a JSON object
 * @param summary may be null
 */
record SessionDetails(Map<String, String> data, String state, SessionSummary summary) {

    static final SessionDetails EMPTY = new SessionDetails(Map.of(), Session.EMPTY_STATE, null);

    SessionDetails {
        data = Map.copyOf(data);
    }

    SessionDetails withData(Map<String, String> newData) {
        return new SessionDetails(newData, state, summary);
    }

    SessionDetails withState(String newState) {
        return new SessionDetails(data, newState, summary);
    }

    SessionDetails withSummary(SessionSummary newSummary) {
        return new SessionDetails(data, state, newSummary);
    }
}
