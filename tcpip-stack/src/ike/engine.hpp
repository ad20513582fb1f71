// SPDX-License-Identifier: Apache-2.0
// The IKE engine's private state: IKE SAs, CHILD SAs, the exchange each side has
// outstanding, and the per-exchange handlers (one file per exchange task:
// ike_sa_init.cpp, ike_auth.cpp, create_child_sa.cpp, informational.cpp).
#pragma once

#include <zplex/ike/config.hpp>
#include <zplex/ike/keys.hpp>
#include <zplex/ike/message.hpp>
#include <zplex/ike/peer.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zplex::ike::detail {

/// A negotiated ESP transform set.
struct esp_suite {
    std::uint16_t encr = encr_id::aes_gcm_16;
    std::uint16_t key_bits = 256;
    std::uint16_t integ = integ_id::none;
    std::uint16_t dh = dh_group::none;
    bool esn = false;
};

struct child_sa {
    const child_config* cfg = nullptr;
    std::uint32_t spi_in = 0;
    std::uint32_t spi_out = 0;
    esp_suite suite;
    ipsec::sa_mode mode = ipsec::sa_mode::tunnel;
    std::vector<traffic_selector> local_ts, remote_ts;
    secret key_in, key_out;  ///< data-plane layout
    bool rekeyed = false;    ///< replaced: waits for its delete
};

enum class task_kind : std::uint8_t { ike_sa_init, ike_auth, create_child, rekey_child, rekey_ike, delete_child,
                                      delete_ike, dpd };

/// An exchange this side initiates, with what it must remember until the response.
struct task {
    task_kind kind = task_kind::dpd;
    const child_config* child = nullptr;
    std::uint32_t target_spi = 0;          ///< rekey_child / delete_child: our inbound SPI
    std::uint32_t new_spi_in = 0;          ///< the CHILD SA being created
    bytes nonce;
    std::unique_ptr<dh_key> dh;
    std::uint64_t new_ike_spi = 0;         ///< rekey_ike
    std::uint16_t dh_group = 0;            ///< after INVALID_KE_PAYLOAD: the group to use
    unsigned retries = 0;                  ///< after TEMPORARY_FAILURE (RFC 7296 §2.25)
    // Simultaneous rekey (RFC 7296 §2.8.1): the peer's exchange for the same SA.
    bool collided = false;
    bytes peer_ni, peer_nr;
    std::uint32_t peer_created_spi_in = 0;
};

enum class sa_state : std::uint8_t { init_sent, half_open, auth_sent, established, deleting };

struct ike_sa {
    const connection_config* conn = nullptr;
    std::uint64_t spi_i = 0, spi_r = 0;
    bool initiator = false;                ///< original initiator (the I flag)
    sa_state state = sa_state::init_sent;
    endpoint local, remote;
    bool nat_local = false, nat_remote = false;
    bool natt = false;                     ///< floated to the NAT-T port: non-ESP marker on
    ike_suite suite;
    ike_keys keys;
    std::unique_ptr<sk_cipher> out, in;
    bytes ni, nr;
    bytes init_request, init_response;     ///< IKE_SA_INIT as sent / received (AUTH covers them)
    std::unique_ptr<dh_key> dh;
    bytes cookie;
    std::uint32_t next_mid = 0;            ///< our next request
    std::uint32_t expect_mid = 0;          ///< the peer's next request
    bool have_response = false;
    bytes last_response;                   ///< for retransmitted requests (encoded, no marker)
    endpoint last_response_to;
    bytes last_request;                    ///< the request last_response answers (as received)
    endpoint last_request_from;
    struct outstanding {
        bytes wire;
        time_point next;
        std::chrono::milliseconds timeout{0};
        unsigned tries = 0;
        std::unique_ptr<task> t;
    };
    std::optional<outstanding> pending;
    std::deque<std::unique_ptr<task>> queue;
    /// A rekey the peer answered TEMPORARY_FAILURE (it was rekeying too): tried again
    /// at `retry_at`, a random delay later, so the two sides do not collide again.
    std::unique_ptr<task> deferred;
    time_point retry_at{};
    std::vector<child_sa> children;
    time_point created{}, last_heard{};
    bool rekeyed = false;                  ///< replaced by a rekey: waits for its delete

    std::uint64_t my_spi() const noexcept { return initiator ? spi_i : spi_r; }
    ike_sa_id id() const noexcept { return {spi_i, spi_r}; }
    child_sa* child_by_spi(std::uint32_t spi) noexcept;  ///< inbound or outbound
};

/// True if @p remote (host order) is one of @p c's peers (remote_addr/remote_prefix).
bool peer_in(const connection_config& c, std::uint32_t remote) noexcept;

class engine {
public:
    explicit engine(peer_config cfg);

    output initiate(const std::string& name, time_point now);
    output receive(const datagram& d, time_point now);
    output tick(time_point now);
    std::optional<time_point> next_timeout() const;
    output start_task(ike_sa_id id, std::unique_ptr<task> t, time_point now);
    output start_child_task(std::uint32_t spi, task_kind kind, time_point now);
    std::vector<ike_sa_status> status() const;

    peer_counters counters;

    // ---- shared helpers (peer.cpp) ----
    ike_sa* find(ike_sa_id id);
    ike_sa* find_by_child(std::uint32_t spi);
    const connection_config* connection(const std::string& name) const;
    const connection_config* connection_for(std::uint32_t local, std::uint32_t remote) const;
    std::uint64_t new_ike_spi();
    std::uint32_t new_child_spi();
    void send_request(ike_sa& sa, message m, std::unique_ptr<task> t, time_point now);
    void send_response(ike_sa& sa, message m, const endpoint& to);
    void send_raw(const endpoint& from, const endpoint& to, bytes wire, bool natt);
    void next_task(ike_sa& sa, time_point now);
    void remove_sa(ike_sa& sa, const std::string& reason, bool announce);
    void emit(event e) { _out.events.push_back(std::move(e)); }
    void fail(ike_sa& sa, std::uint16_t notify, const std::string& reason);
    void set_ciphers(ike_sa& sa);
    bytes nat_hash(std::uint64_t spi_i, std::uint64_t spi_r, const endpoint& e) const;
    bytes make_cookie(std::span<const std::uint8_t> ni, const endpoint& from, std::uint64_t spi_i) const;
    std::size_t half_open() const;

    // proposals and selectors (proposals.cpp)
    static sa_payload ike_offer(const connection_config& c, bytes spi);
    static sa_payload esp_offer(const child_config& c, std::uint32_t spi, bool with_dh);
    /// Select from the peer's offer. @p chosen is the reply's proposal: the offered
    /// proposal's number and SPI (the caller puts its own SPI in before answering) and
    /// the transforms picked. False if nothing fits or the offer is not numbered from 1.
    static bool select_ike(const connection_config& c, const sa_payload& offered, proposal& chosen, ike_suite& s);
    static bool select_esp(const child_config& c, const sa_payload& offered, bool want_dh, proposal& chosen,
                           esp_suite& s);
    static bool accept_ike(const sa_payload& offered_by_us, const sa_payload& reply, ike_suite& s);
    static bool accept_esp(const sa_payload& reply, esp_suite& s, std::uint32_t& spi_out);
    static bool narrow(const std::vector<traffic_selector>& proposed, const std::vector<traffic_selector>& allowed,
                       std::vector<traffic_selector>& out);
    /// Derive a child's keys and fill its data-plane configs; false if sizes do not fit.
    bool install_child(ike_sa& sa, child_sa& c, std::span<const std::uint8_t> shared,
                       std::span<const std::uint8_t> ni, std::span<const std::uint8_t> nr, bool we_initiated);
    child_sa_info info(const ike_sa& sa, const child_sa& c) const;

    // ike_sa_init.cpp
    output begin_ike_sa_init(const connection_config& c, time_point now);
    void build_ike_sa_init(ike_sa& sa, time_point now);
    void on_ike_sa_init_request(const datagram& d, const decoded& in, std::span<const std::uint8_t> wire,
                                time_point now);
    void on_ike_sa_init_response(ike_sa& sa, const datagram& d, const decoded& in, std::span<const std::uint8_t> wire,
                                 time_point now);
    // ike_auth.cpp
    void start_ike_auth(ike_sa& sa, time_point now);
    void on_ike_auth_request(ike_sa& sa, const datagram& d, const message& in, time_point now);
    void on_ike_auth_response(ike_sa& sa, const message& in, task& t, time_point now);
    // create_child_sa.cpp
    message build_create_child(ike_sa& sa, task& t);
    /// Responder side of a CHILD SA (IKE_AUTH or CREATE_CHILD_SA): selects, narrows,
    /// derives, adds SA/[Nr/KEr]/TSi/TSr to @p resp. Returns 0 or the error notify.
    std::uint16_t respond_child(ike_sa& sa, const message& req, message& resp, bool ccsa, const child_config* only,
                                child_sa& out, std::uint16_t& ke_group);
    /// Initiator side: check the response and derive. Returns 0 or the error notify.
    std::uint16_t complete_child(ike_sa& sa, const message& res, task& t, bool ccsa, child_sa& out);
    void on_create_child_request(ike_sa& sa, const datagram& d, const message& in, time_point now);
    void on_create_child_response(ike_sa& sa, const message& in, task& t, time_point now);
    // informational.cpp
    message build_informational(ike_sa& sa, task& t);
    void on_informational_request(ike_sa& sa, const datagram& d, const message& in, time_point now);
    void on_informational_response(ike_sa& sa, const message& in, task& t, time_point now);

    const peer_config& config() const noexcept { return _cfg; }
    std::map<std::uint64_t, std::unique_ptr<ike_sa>>& sas() noexcept { return _sas; }
    output take();

private:
    void dispatch(ike_sa& sa, const datagram& d, std::span<const std::uint8_t> wire, time_point now);

    peer_config _cfg;
    std::map<std::string, std::unique_ptr<credential>> _creds;        ///< by connection
    std::map<std::string, std::unique_ptr<cert_verifier>> _verifiers;
    std::map<std::uint64_t, std::unique_ptr<ike_sa>> _sas;              ///< by our SPI
    bytes _cookie_secret;
    output _out;
    bytes _last_nr;  ///< Nr of the CHILD SA exchange just processed (collision bookkeeping)

public:
    const credential* cred(const connection_config& c) const;
    const cert_verifier* verifier(const connection_config& c) const;
};

}  // namespace zplex::ike::detail
