package org.dumm.unionfs.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.dumm.api.spi.LayerStack;
import org.junit.Test;

public class MountInfoTest {

    @Test
    public void decodesEscapesInMountPointAndOptions() {
        MountInfo m = MountInfo.parseLine("45 27 0:39 / /tmp/dmu\\040x/my\\040union rw,relatime shared:7 master:2 - overlay dumm "
                + "rw,lowerdir=/tmp/dmu\\040x/a\\134b:/tmp/m,upperdir=/tmp/u\\054v,workdir=/tmp/w/0,uuid=on");
        assertEquals(45, m.id());
        assertEquals(27, m.parentId());
        assertEquals(Path.of("/tmp/dmu x/my union"), m.mountPoint());
        assertEquals(List.of("shared:7", "master:2"), m.optional());
        assertTrue(m.shared());
        assertEquals("overlay", m.fsType());
        assertEquals("dumm", m.source());
        assertEquals("/tmp/dmu x/a\\b:/tmp/m", m.option("lowerdir"));
        // an escaped comma is part of the value, not a separator
        assertEquals("/tmp/u,v", m.option("upperdir"));
        assertEquals("on", m.option("uuid"));
        assertEquals("", m.option("rw"));
        assertNull(m.option("index"));
    }

    @Test
    public void readsStackFromBothLowerdirForms() {
        MountInfo classic = MountInfo.parseLine("50 27 0:41 / /g/union rw - overlay dumm rw,lowerdir=/b:/d:/m,upperdir=/t,workdir=/w/1");
        assertEquals(new LayerStack(List.of(Path.of("/b"), Path.of("/d"), Path.of("/m")), Path.of("/t"), Path.of("/w/1")),
                OverlayStack.fromMount(classic));
        MountInfo plus = MountInfo.parseLine("51 27 0:42 / /g/union rw - overlay dumm rw,lowerdir+=/d,lowerdir+=/m,upperdir=/t,workdir=/w/2");
        assertEquals(List.of(Path.of("/d"), Path.of("/m")), OverlayStack.fromMount(plus).lowers());
    }

    @Test
    public void privateMountIsNotShared() {
        MountInfo m = MountInfo.parseLine("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard");
        assertFalse(m.shared());
        assertEquals(Path.of("/"), m.mountPoint());
    }

    @Test
    public void topOfStackedMountsIsTheChild() {
        MountTable table = new MountTable(MountInfo.parse(List.of(
                "27 1 254:0 / / rw - ext4 /dev/vda rw",
                "60 27 0:50 / /g/union rw - overlay dumm rw,lowerdir=/m,upperdir=/new,workdir=/w/1",
                "59 60 0:49 / /g/union rw - overlay dumm rw,lowerdir=/m,upperdir=/old,workdir=/w/0")));
        assertEquals(59, table.top(Path.of("/g/union")).id());
        assertEquals(27, table.containing(Path.of("/g/x/y")).id());
        assertEquals(59, table.containing(Path.of("/g/union/etc")).id());
        assertEquals(60, table.writableUser(Path.of("/w/1"), null).id());
        assertNull(table.writableUser(Path.of("/old"), table.top(Path.of("/g/union"))));
    }
}
