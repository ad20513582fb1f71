// SPDX-License-Identifier: Apache-2.0
// Policy files as tokens, and which keywords each kind of block takes.
#include "reader.hpp"

namespace zplex::policy::detail {

/// Words, braces, "quoted strings"; `#` starts a comment to the end of the line.
std::vector<token> tokenize(std::string_view text, std::vector<std::pair<int, int>>& bad_quotes) {
    std::vector<token> out;
    int line = 1;
    int col = 1;
    bool first = true;
    std::size_t i = 0;
    auto advance = [&](std::size_t n) {
        for (std::size_t k = 0; k < n && i < text.size(); ++k, ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
                first = true;
            } else {
                ++col;
            }
        }
    };
    while (i < text.size()) {
        char c = text[i];
        if (c == '#') {
            while (i < text.size() && text[i] != '\n') {
                advance(1);
            }
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            advance(1);
            continue;
        }
        token t;
        t.line = line;
        t.column = col;
        t.line_start = first;
        first = false;
        if (c == '{' || c == '}') {
            t.kind = c == '{' ? tok_kind::open : tok_kind::close;
            t.text = std::string(1, c);
            advance(1);
        } else if (c == '"') {
            std::size_t end = text.find('"', i + 1);
            std::size_t nl = text.find('\n', i + 1);
            if (end == std::string_view::npos || (nl != std::string_view::npos && nl < end)) {
                bad_quotes.emplace_back(line, col);
                end = nl == std::string_view::npos ? text.size() : nl;
                t.text = std::string(text.substr(i + 1, end - i - 1));
                advance(end - i);
            } else {
                t.text = std::string(text.substr(i + 1, end - i - 1));
                advance(end - i + 1);
            }
        } else {
            std::size_t j = i;
            while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != '{' &&
                   text[j] != '}' && text[j] != '#') {
                ++j;
            }
            t.text = std::string(text.substr(i, j - i));
            advance(j - i);
        }
        out.push_back(std::move(t));
    }
    return out;
}

const std::map<std::string, block_schema>& schemas() {
    static const std::map<std::string, block_schema> s = {
        {"TOP",
         {{},
          {{"IPFILTERPOLICY", "IPFILTERPOLICY"},
           {"KEYEXCHANGEPOLICY", "KEYEXCHANGEPOLICY"},
           {"IPFILTERRULE", "IPFILTERRULE"},
           {"IPSERVICE", "IPSERVICE"},
           {"IPGENERICFILTERACTION", "IPGENERICFILTERACTION"},
           {"IPDYNVPNACTION", "IPDYNVPNACTION"},
           {"IPDATAOFFER", "IPDATAOFFER"},
           {"KEYEXCHANGERULE", "KEYEXCHANGERULE"},
           {"KEYEXCHANGEACTION", "KEYEXCHANGEACTION"},
           {"KEYEXCHANGEOFFER", "KEYEXCHANGEOFFER"},
           {"LOCALSECURITYENDPOINT", "SECURITYENDPOINT"},
           {"REMOTESECURITYENDPOINT", "SECURITYENDPOINT"}},
          {"IPSECCONFIG", "TCPIMAGE", "IPLOCALSTARTACTION", "IPMANVPNACTION"}}},
        {"IPFILTERPOLICY",
         {{"POLICYSCOPE", "IPFILTERRULEREF", "IPFILTERLOGGING", "PREDECAP", "DVIPSEC", "ALLOWONDEMAND",
           "FILTERLOGGING", "IPFILTERGROUPREF"},
          {{"IPFILTERRULE", "IPFILTERRULE"}},
          {"IPFILTERLOGGING", "PREDECAP", "DVIPSEC", "ALLOWONDEMAND", "FILTERLOGGING", "IPFILTERGROUPREF"}}},
        {"KEYEXCHANGEPOLICY",
         {{"KEYEXCHANGERULEREF", "ALLOWNAT", "CANINITIATE", "ALLOWDOWNLEVELIKE"},
          {{"KEYEXCHANGERULE", "KEYEXCHANGERULE"}},
          {"ALLOWNAT", "CANINITIATE", "ALLOWDOWNLEVELIKE"}}},
        {"IPFILTERRULE",
         {{"IPSOURCEADDR", "IPDESTADDR", "IPSERVICEREF", "IPGENERICFILTERACTIONREF", "IPDYNVPNACTIONREF",
           "IPSOURCEADDRGROUPREF", "IPDESTADDRGROUPREF", "IPTIMECONDITIONREF", "IPLOCALSTARTACTIONREF"},
          {{"IPSERVICE", "IPSERVICE"}},
          {"IPSOURCEADDRGROUPREF", "IPDESTADDRGROUPREF", "IPTIMECONDITIONREF", "IPLOCALSTARTACTIONREF"}}},
        {"IPSERVICE",
         {{"SOURCEPORTRANGE", "DESTINATIONPORTRANGE", "PROTOCOL", "DIRECTION", "ROUTING", "SECURITYCLASS",
           "ICMPTYPE", "ICMPCODE"},
          {},
          {"SECURITYCLASS", "ICMPTYPE", "ICMPCODE"}}},
        {"IPGENERICFILTERACTION", {{"IPFILTERACTION", "IPFILTERLOGGING"}, {}, {}}},
        {"IPDYNVPNACTION",
         {{"HOWTOENCAP", "HOWTOENCRYPT", "HOWTOAUTH", "INITIATEWHEN", "PFS", "LIFESIZE", "LIFETIME",
           "IPDATAOFFERREF", "ALLOWNAT", "VPNLIFE", "RESPONDTO", "PASSTHROUGHDSCP", "USEPFS"},
          {{"IPDATAOFFER", "IPDATAOFFER"}},
          {"ALLOWNAT", "VPNLIFE", "RESPONDTO", "PASSTHROUGHDSCP"}}},
        {"IPDATAOFFER",
         {{"HOWTOENCAP", "HOWTOENCRYPT", "HOWTOAUTH", "REFRESHLIFETIMEPROPOSED", "REFRESHLIFETIMEACCEPTED",
           "REFRESHLIFESIZEPROPOSED", "REFRESHLIFESIZEACCEPTED"},
          {},
          {"REFRESHLIFETIMEACCEPTED", "REFRESHLIFESIZEPROPOSED", "REFRESHLIFESIZEACCEPTED"}}},
        {"KEYEXCHANGERULE",
         {{"LOCALSECURITYENDPOINTREF", "REMOTESECURITYENDPOINTREF", "KEYEXCHANGEACTIONREF", "SHAREDKEY",
           "SHAREDKEYREF"},
          {},
          {"SHAREDKEYREF"}}},
        {"KEYEXCHANGEACTION",
         {{"HOWTOINITIATE", "HOWTORESPOND", "HOWTOAUTHPEERS", "IKEVERSION", "KEYEXCHANGEOFFERREF",
           "EXCHANGEMODE", "REAUTHINTERVAL", "ALLOWNAT"},
          {{"KEYEXCHANGEOFFER", "KEYEXCHANGEOFFER"}},
          {"HOWTOINITIATE", "HOWTORESPOND", "EXCHANGEMODE", "REAUTHINTERVAL", "ALLOWNAT"}}},
        {"KEYEXCHANGEOFFER",
         {{"HOWTOENCRYPT", "HOWTOAUTHMSGS", "HOWTOAUTHPEERS", "PSEUDORANDOMFUNCTION", "DHGROUP",
           "REFRESHLIFETIMEPROPOSED", "REFRESHLIFETIMEACCEPTED", "REFRESHLIFESIZEPROPOSED",
           "REFRESHLIFESIZEACCEPTED"},
          {},
          {"REFRESHLIFETIMEACCEPTED", "REFRESHLIFESIZEPROPOSED", "REFRESHLIFESIZEACCEPTED"}}},
        {"SECURITYENDPOINT",
         {{"IDENTITY", "LOCATION", "CERTIFICATE", "PRIVATEKEY", "CACERTIFICATE", "CAUTHORITYREF", "CAPABILITIES"},
          {},
          {"CAUTHORITYREF", "CAPABILITIES"}}},
    };
    return s;
}

}  // namespace zplex::policy::detail
