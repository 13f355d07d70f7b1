package org.dumm.test.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A scenario directory as read: its {@code test.conf}, description and the three .dat files,
 * and per host the files under {@code hosts/<host>/} (relative paths, e.g. {@code etc/swanctl/swanctl.conf}).
 */
record Scenario(Path dir, String category, String name, TestConf conf, String description,
                List<DatLine> pretest, List<DatLine> evaltest, List<DatLine> posttest,
                Map<String, List<String>> hostFiles) {

    /** TCPDUMPHOSTS as host to interface ({@code host} alone means eth0). */
    Map<String, String> captures() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String entry : conf.list("TCPDUMPHOSTS")) {
            int colon = entry.indexOf(':');
            out.put(colon < 0 ? entry : entry.substring(0, colon), colon < 0 ? "eth0" : entry.substring(colon + 1));
        }
        return out;
    }
}
