/* dumm-agent: interface operations and netlink requests handed to the guest's kernel. */
#include "agent.h"

/* One socket for the interface ioctls, kept open: under UML every guest system call is a
 * round trip through the host's ptrace, and a link-up is on the user's clock. */
int if_socket(void) {
    static int s = -1;
    if (s < 0) s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return s;
}

/* Sets or clears IFF_UP with two ioctls: no process in the guest, so ~0.1 ms instead of the
 * 5-30 ms that forking `ip` costs under UML. */
void op_ifflags(uint32_t id, uint8_t op, const char *name, int up) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    int s = if_socket();
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        reply_error(id, op, "%s: %s", name, strerror(errno));
        return;
    }
    if (up) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
        reply_error(id, op, "%s %s: %s", name, up ? "up" : "down", strerror(errno));
    } else {
        reply(id, op, 0, 0, NULL, 0, NULL, 0);
    }
}

void op_rename(uint32_t id, const char *from, const char *to) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", from);
    snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", to);
    int s = if_socket();
    if (s < 0 || ioctl(s, SIOCSIFNAME, &ifr) != 0) {
        reply_error(id, OP_RENAME, "rename %s to %s: %s", from, to, strerror(errno));
    } else {
        reply(id, OP_RENAME, 0, 0, NULL, 0, NULL, 0);
    }
}

/* Hands rtnetlink requests the host built (whole nlmsghdr messages, each asking for an ack) to
 * this kernel and answers with every message the kernel sent back, raw: the host parses acks
 * and error texts itself. Used for carrier (operstate) and traffic control on the guest's own
 * interfaces; a qdisc kind not yet loaded makes the kernel run modprobe, which this waits for. */
void op_netlink(uint32_t id, const unsigned char *msgs, uint32_t len) {
    int expected = 0;
    for (uint32_t pos = 0; pos + sizeof(struct nlmsghdr) <= len; ) {
        const struct nlmsghdr *h = (const void *)(msgs + pos);
        if (h->nlmsg_len < sizeof(struct nlmsghdr) || pos + h->nlmsg_len > len) {
            reply_error(id, OP_NETLINK, "malformed netlink request at byte %u", pos);
            return;
        }
        if (h->nlmsg_flags & NLM_F_ACK) expected++;
        pos += NLMSG_ALIGN(h->nlmsg_len);
    }
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) {
        reply_error(id, OP_NETLINK, "netlink socket: %s", strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    struct timeval tv = {10, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(s, msgs, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        reply_error(id, OP_NETLINK, "netlink send: %s", strerror(errno));
        close(s);
        return;
    }
    struct buf answers = {0};
    static unsigned char rb[65536];
    while (expected > 0) {
        ssize_t n = recv(s, rb, sizeof rb, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            reply_error(id, OP_NETLINK, "netlink receive: %s", strerror(errno));
            free(answers.data);
            close(s);
            return;
        }
        for (ssize_t pos = 0; pos + (ssize_t)sizeof(struct nlmsghdr) <= n; ) {
            const struct nlmsghdr *h = (const void *)(rb + pos);
            if (h->nlmsg_len < sizeof(struct nlmsghdr) || pos + (ssize_t)h->nlmsg_len > n) break;
            if (h->nlmsg_type == NLMSG_ERROR) expected--;
            pos += NLMSG_ALIGN(h->nlmsg_len);
        }
        if (buf_add(&answers, rb, (size_t)n)) break;
    }
    close(s);
    reply(id, OP_NETLINK, 0, 0, answers.data, (uint32_t)answers.len, NULL, 0);
    free(answers.data);
}

void handle_request(uint32_t id, uint8_t op, uint32_t timeout_ms, uint32_t cap,
                           char *payload, uint32_t len) {
    switch (op) {
    case OP_PING: {
        char text[200];
        int n = snprintf(text, sizeof text, "dumm-agent 1 umid=%s pid=%d", umid, (int)getpid());
        reply(id, op, 0, 0, text, n, NULL, 0);
        break;
    }
    case OP_EXEC:
        if (strlen(payload) != len) {
            reply_error(id, op, "command contains a NUL byte");
        } else {
            start_job(id, op, timeout_ms, cap, payload, len);
        }
        break;
    case OP_SYNC:
        /* inline: a `sync` process would cost more than the flush itself under UML */
        sync();
        reply(id, op, 0, 0, NULL, 0, NULL, 0);
        break;
    case OP_IFDOWN:
        op_ifflags(id, op, payload, 0);
        break;
    case OP_IFUP:
        op_ifflags(id, op, payload, 1);
        break;
    case OP_RENAME: {
        size_t first = strlen(payload);
        if (first >= len) {
            reply_error(id, op, "rename needs two names");
        } else {
            op_rename(id, payload, payload + first + 1);
        }
        break;
    }
    case OP_NETLINK:
        op_netlink(id, (const unsigned char *)payload, len);
        break;
    case OP_SOPEN:
        op_session_open(id);
        break;
    case OP_SEXEC:
        op_session_exec(id, timeout_ms, cap, payload, len);
        break;
    case OP_SCLOSE:
        op_session_close(id, payload, len);
        break;
    default:
        reply_error(id, op, "unknown operation %u", op);
    }
}

