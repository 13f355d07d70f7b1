package org.dumm.lab;

import java.util.List;
import java.util.Map;

/**
 * One device of a lab as its source describes it: its links (eth0, eth1, ... in order) and its
 * own options. Null option values mean "not given" (Dumm's default applies).
 *
 * @param memoryMb memory in MiB, 0 when not given
 * @param image    the lab's image name (Kathará/Docker), mapped to a Dumm master, or null
 * @param ipv6     true, false, or null when not given
 * @param exec     commands run after the startup files, in order
 * @param sysctls  {@code net.*} settings as {@code key=value}, in order
 * @param env      environment of the startup files and exec commands
 * @param shell    the shell of the startup files, or null (Kathará's /bin/bash, else /bin/sh)
 * @param master   a Dumm master named directly (a YAML lab), or null: from {@code image}, else the default
 * @param kernel   the kernel binary, or null for the default
 * @param backend  the guest backend ({@code uml}, {@code netns}), or null for the default
 * @param files    its tree, startup and shutdown script on the host
 */
public record LabDevice(String name, List<LabLink> links, int memoryMb, String image, Boolean ipv6,
                        List<String> exec, List<String> sysctls, Map<String, String> env, String shell,
                        String master, String kernel, String backend, LabFiles files) {

    public LabDevice {
        links = List.copyOf(links);
        exec = List.copyOf(exec);
        sysctls = List.copyOf(sysctls);
        env = Map.copyOf(env);
        files = files == null ? LabFiles.NONE : files;
    }

    /** A device as a Netkit lab.conf describes it (no master, kernel or backend of its own). */
    public LabDevice(String name, List<LabLink> links, int memoryMb, String image, Boolean ipv6,
                     List<String> exec, List<String> sysctls, Map<String, String> env, String shell, LabFiles files) {
        this(name, links, memoryMb, image, ipv6, exec, sysctls, env, shell, null, null, null, files);
    }
}
