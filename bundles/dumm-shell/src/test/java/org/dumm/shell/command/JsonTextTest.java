package org.dumm.shell.command;

import static org.junit.Assert.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.dumm.api.Bridge;
import org.dumm.api.Guest;
import org.dumm.api.GuestState;
import org.dumm.api.Iface;
import org.dumm.api.Master;
import org.dumm.api.MeshStatus;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;
import org.dumm.api.Transport;
import org.junit.Test;

/** --json prints what it printed with Jackson, byte for byte, for every shape the commands print. */
public class JsonTextTest {

    private static final ObjectMapper JACKSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private static final Iface ETH0 = new Iface("alice", "eth0", "alice-eth0", "lan", "52:54:00:12:34:56",
            Transport.TUNTAP, List.of("10.1.0.10/16", "fec1::10/64"));
    private static final Iface ETH1 = new Iface("alice", "eth1", "alice-eth1", null, null, Transport.VECTOR, List.of());
    private static final Guest ALICE = new Guest("alice", GuestState.RUNNING, "uml", "/usr/bin/linux.uml", "busybox", 64,
            List.of("lpj=4000000"), 4242, Instant.parse("2026-11-29T20:00:00Z"), List.of(ETH0, ETH1));
    private static final Guest BOB = new Guest("bob", GuestState.STOPPED, "uml", "/usr/bin/linux.uml", "debian", 128,
            List.of(), 0, null, List.of());

    @Test
    public void guestsAndBridgesAsTheCommandsShapeThem() throws Exception {
        same(List.of(Views.guest(ALICE), Views.guest(BOB)));
        same(Views.guest(ALICE));
        same(List.of(Views.bridge(new Bridge("lan", List.of("alice-eth0", "bob-eth0"))), Views.bridge(new Bridge("wan", List.of()))));
        same(List.of());
    }

    @Test
    public void recordsOfTheApiByTheirComponents() throws Exception {
        same(List.of(new Template("vpn", List.of("alice", "bob"), true), new Template("empty", List.of(), false)));
        same(List.of(new TemplateDiff("alice", List.of("/etc/a"), List.of(), List.of("/etc/b", "/etc/c"))));
        same(new MeshStatus("/var/lib/dumm", Map.of(GuestState.RUNNING, 3, GuestState.STOPPED, 1), 2, 5, null,
                List.of("uml")));
        same(new MeshStatus("/w", Map.of(), 0, 0, "vpn", List.of()));
        same(List.of(new Master("busybox", "/var/lib/dumm/masters/busybox", 1_234_567_890_123L, "directory")));
    }

    @Test
    public void stringsWithQuotesBackslashesControlCharactersAndNonAscii() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("quote\"d", "a\"b\\c/d");
        m.put("controls", "line\nnext\ttab\rcr\bbs\ffeed\u0001\u001f\u007f");
        m.put("unicode", "grüße → 🙂");
        m.put("empty", "");
        m.put("nested", List.of(List.of(), List.of(1, 2), new LinkedHashMap<>()));
        m.put("numbers", List.of(0, -7, Long.MAX_VALUE, 1.5, true, false));
        List<Object> withNull = new ArrayList<>();
        withNull.add(null);
        withNull.add("x");
        m.put("withNull", withNull);
        same(m);
        same(new LinkedHashMap<>());
    }

    private static void same(Object value) throws Exception {
        String text = JsonText.of(value);
        String jackson = JACKSON.writeValueAsString(value);
        assertEquals(jackson, text);
        JsonNode parsed = JACKSON.readTree(text); // and a parser reads it
        assertEquals(JACKSON.readTree(jackson), parsed);
    }
}
