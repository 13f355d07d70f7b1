package org.dumm.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.dumm.api.Transport;
import org.dumm.core.internal.MeshStore.BridgeFile;
import org.dumm.core.internal.MeshStore.GuestFile;
import org.dumm.core.internal.MeshStore.IfaceFile;
import org.dumm.core.internal.MeshStore.LinkFile;
import org.dumm.core.internal.MeshStore.MeshFile;
import org.junit.Test;

public class StateJsonTest {

    /** What versions before StateJson wrote the files with (and read them with). */
    private static final ObjectMapper JACKSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final GuestFile GUEST = new GuestFile("alice", "uml", "/usr/bin/linux.uml", "busybox", 64,
            List.of("quiet", "x=\"a b\"\\c\t\u00e9\u0001"), List.of(
                    new IfaceFile("eth0", "alice-eth0", "52:54:00:12:34:56", Transport.TUNTAP),
                    new IfaceFile("eth1", "dali-1234567890", null, Transport.VECTOR)));
    private static final MeshFile MESH = new MeshFile(List.of(new BridgeFile("lan"), new BridgeFile("wan")), List.of(
            new LinkFile("alice", "eth0", "lan", List.of("10.0.0.1/24", "fd00::1/64")),
            new LinkFile("alice", "eth1", null, List.of("192.168.1.1/24"))));

    @Test
    public void roundTrip() throws IOException {
        assertEquals(GUEST, StateJson.readGuest(StateJson.guest(GUEST)));
        assertEquals(MESH, StateJson.readMesh(StateJson.mesh(MESH)));
        GuestFile bare = new GuestFile("b", "uml", null, null, 16, List.of(), List.of());
        assertEquals(bare, StateJson.readGuest(StateJson.guest(bare)));
        MeshFile empty = new MeshFile(List.of(), List.of());
        assertEquals(empty, StateJson.readMesh(StateJson.mesh(empty)));
    }

    @Test
    public void filesOfEarlierVersionsReadTheSameAndTheNewOnesAreStillTheirJson() throws IOException {
        assertEquals(GUEST, StateJson.readGuest(JACKSON.writeValueAsBytes(GUEST)));
        assertEquals(MESH, StateJson.readMesh(JACKSON.writeValueAsBytes(MESH)));
        assertEquals(GUEST, JACKSON.readValue(StateJson.guest(GUEST), GuestFile.class));
        assertEquals(MESH, JACKSON.readValue(StateJson.mesh(MESH), MeshFile.class));
    }

    @Test
    public void unknownFieldsAreIgnoredAndMissingOnesAreEmpty() throws IOException {
        GuestFile g = StateJson.readGuest("{\"name\":\"x\",\"future\":{\"a\":[1,2.5e3,true,null]},\"memoryMb\":32}"
                .getBytes(UTF_8));
        assertEquals("x", g.name());
        assertEquals(32, g.memoryMb());
        assertNull(g.kernel());
        assertEquals(List.of(), g.interfaces());
        assertEquals(List.of(), g.extraArgs());
        MeshFile m = StateJson.readMesh("{ }".getBytes(UTF_8));
        assertEquals(new MeshFile(List.of(), List.of()), m);
        assertEquals("\u00e9A", StateJson.readGuest("{\"name\":\"\\u00e9\\u0041\"}".getBytes(UTF_8)).name());
    }

    @Test
    public void brokenFilesAreRefusedWithWhere() {
        for (String bad : List.of("", "{", "{\"name\":}", "{\"name\":\"x\"} x", "[1]", "{\"name\":1}",
                "{\"memoryMb\":1.5}", "{\"interfaces\":[{\"transport\":\"WIFI\"}]}", "{\"name\":\"\\q\"}")) {
            try {
                StateJson.readGuest(bad.getBytes(UTF_8));
                fail("accepted: " + bad);
            } catch (IOException expected) {
                assertTrue(expected.getMessage(), !expected.getMessage().isEmpty());
            }
        }
    }
}
