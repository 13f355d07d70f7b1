package org.dumm.api;

import java.util.Map;

/**
 * A summary of the whole mesh for {@code dumm:status}.
 *
 * @param workDir        Dumm's working directory
 * @param guestsByState  number of guests per state
 * @param bridges        number of bridges
 * @param interfaces     number of guest interfaces
 * @param loadedTemplate loaded template, or null
 * @param backends       registered backend names
 */
public record MeshStatus(String workDir, Map<GuestState, Integer> guestsByState, int bridges,
                         int interfaces, String loadedTemplate, java.util.List<String> backends) {
    public MeshStatus {
        guestsByState = Map.copyOf(guestsByState);
        backends = java.util.List.copyOf(backends);
    }
}
