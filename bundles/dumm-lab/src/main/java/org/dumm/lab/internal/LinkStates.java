package org.dumm.lab.internal;

import org.dumm.api.Impairment;
import org.dumm.api.LinkState;

/**
 * A link's state in one line of the remembered lab state: {@code carrier;toGuest;fromGuest}, each
 * impairment as its seven numbers (exact, unlike the text users write).
 */
final class LinkStates {

    private LinkStates() {
    }

    static String encode(LinkState s) {
        return s.carrier() + ";" + encode(s.toGuest()) + ";" + encode(s.fromGuest());
    }

    static LinkState decode(String v) {
        String[] p = v.split(";", -1);
        return new LinkState(Boolean.parseBoolean(p[0]), decodeImpairment(p[1]), decodeImpairment(p[2]));
    }

    private static String encode(Impairment i) {
        return i.delayMicros() + "," + i.jitterMicros() + "," + i.lossPercent() + "," + i.duplicatePercent() + ","
                + i.corruptPercent() + "," + i.reorderPercent() + "," + i.rateBitsPerSecond();
    }

    private static Impairment decodeImpairment(String v) {
        String[] n = v.split(",");
        return new Impairment(Long.parseLong(n[0]), Long.parseLong(n[1]), Double.parseDouble(n[2]),
                Double.parseDouble(n[3]), Double.parseDouble(n[4]), Double.parseDouble(n[5]), Long.parseLong(n[6]));
    }
}
