package org.dumm.shell.command;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;

import org.dumm.lab.LabInfo;
import org.dumm.lab.LabLink;
import org.junit.Test;

public class LabGraphTest {

    private static final LabInfo LAB = new LabInfo("web", "/srv/web", List.of(
            new LabInfo.Device("r1", "web-r1", "running", "busybox", 64,
                    List.of(new LabLink(0, "A", null), new LabLink(1, "B", "02:42:00:00:00:01"))),
            new LabInfo.Device("pc1", "web-pc1", "stopped", "busybox", 64, List.of(new LabLink(0, "A", null)))),
            List.of(new LabInfo.Segment("A", "web-4a1b2c3d", List.of("r1:eth0", "pc1:eth0")),
                    new LabInfo.Segment("B", "web-9f8e7d6c", List.of("r1:eth1"))));

    @Test
    public void dotMermaidAndJsonNameEveryDeviceCdAndLink() {
        assertEquals("""
                graph "web" {
                  "d_r1" [label="r1", shape=box];
                  "d_pc1" [label="pc1", shape=box];
                  "c_A" [label="A\\nweb-4a1b2c3d", shape=ellipse];
                  "c_B" [label="B\\nweb-9f8e7d6c", shape=ellipse];
                  "d_r1" -- "c_A" [label="eth0"];
                  "d_r1" -- "c_B" [label="eth1"];
                  "d_pc1" -- "c_A" [label="eth0"];
                }
                """, LabGraph.dot(LAB));
        assertEquals("""
                flowchart LR
                  d_r1["r1"]
                  d_pc1["pc1"]
                  c_A(("A"))
                  c_B(("B"))
                  d_r1 ---|eth0| c_A
                  d_r1 ---|eth1| c_B
                  d_pc1 ---|eth0| c_A
                """, LabGraph.mermaid(LAB));
        Map<String, Object> json = LabGraph.json(LAB);
        assertEquals(4, ((List<?>) json.get("nodes")).size());
        assertEquals(3, ((List<?>) json.get("edges")).size());
        assertEquals("02:42:00:00:00:01", ((Map<?, ?>) ((List<?>) json.get("edges")).get(1)).get("mac"));
    }
}
