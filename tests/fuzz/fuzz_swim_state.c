/*
 * libFuzzer: any bytes as a push/pull state (a stream from any peer). A
 * state that decodes is merged into a core, through a stream request as a
 * peer would send it; the core must answer with its own state, which must
 * decode, and must hold no more members than the state offered plus its
 * own.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "mesh/swim.h"
#include "mesh/swim_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct swim_state st, back;
    struct swim_packet p;
    struct err err = ERR_INIT;
    struct buf msg = BUF_INIT, req = BUF_INIT, reply = BUF_INIT;
    struct swim_msg m;
    struct swim_config cfg;
    struct swim *s;
    uint32_t offered;

    if (swim_state_decode(data, size, &st, &err) != 0) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    offered = st.n_members;
    swim_state_release(&st);
    memset(&m, 0, sizeof(m));
    m.type = SWIM_MSG_STATE;
    m.data = data;
    m.data_len = (uint32_t)size;
    swim_msg_encode(&m, &msg);
    swim_packet_frame(1, msg.data, msg.len, &req);
    swim_config_default(&cfg, SWIM_PROFILE_LAN);
    s = swim_new(&cfg, "a", "10.0.0.1:7946", 1, 0);
    if (swim_stream_serve(s, 5, "10.0.0.2:7946", req.data, req.len, &reply,
                          &err) != 0)
        abort(); /* it decoded once: it must decode inside a packet too */
    if (swim_member_count(s) > (size_t)offered + 1)
        abort();
    if (swim_packet_decode(reply.data, reply.len, &p, &err) != 0 || p.n != 1 ||
        swim_state_decode(p.msgs[0].data, p.msgs[0].data_len, &back, &err) != 0)
        abort();
    if (back.n_members != swim_member_count(s))
        abort();
    swim_state_release(&back);
    swim_packet_release(&p);
    swim_free(s);
    buf_release(&msg);
    buf_release(&req);
    buf_release(&reply);
    return 0;
}
