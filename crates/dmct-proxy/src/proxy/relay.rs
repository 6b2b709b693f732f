//! One exchange through the proxy: the session it belongs to, the upstream request,
//! the response back, and what is recorded and checked.

use super::*;

impl Shared {
    pub(crate) async fn relay(
        self: Arc<Self>,
        request: HttpRequest,
        remote: Option<SocketAddr>,
        held: &mut HeldBytes,
    ) -> Relayed {
        // The request is whole here: its exchange starts now, as the proxy sees it.
        let started_at = dmct_net::wall_clock();
        let started = || {
            Some(dmct_proto::transcript::Span {
                started: Some(started_at.clone()),
                ended: None,
            })
        };
        // The whole message is decoded only when a mutation needs its model or its
        // header cannot be read; relaying needs only the session key and whether a
        // MsgID 1 sets a session up, which dmct-proto's streaming reader tells without a
        // model (either encoding, leniently: a header the decoder refuses still keys).
        let mutating = !self.mutations.is_empty();
        let body = request.body.as_bytes();
        let (key, msg_id, decoded, new_package1) = match dmct_proto::stream::session_head(body) {
            Some(h) => {
                let msg_id = h
                    .msg_id
                    .as_deref()
                    .and_then(|m| m.trim().parse::<u64>().ok());
                let decoded = mutating.then(|| dmct_proto::decode(body).ok()).flatten();
                let setup = msg_id == Some(1) && h.opens_session;
                let key = SessionKey::Dm {
                    session_id: trimmed(h.session_id),
                    client: trimmed(h.source_loc_uri),
                };
                (key, msg_id, decoded, setup)
            }
            None => {
                let d = dmct_proto::decode(body).ok();
                let msg_id = d.as_ref().and_then(|d| d.message.hdr.msg_id_number());
                let setup =
                    msg_id == Some(1) && d.as_ref().is_some_and(|d| d.message.is_session_setup());
                (key_of(d.as_ref()), msg_id, d, setup)
            }
        };
        let (cell, _busy) = self.session_for(&key, remote, msg_id, new_package1.then_some(body));
        let mut relay = Relay::default();
        let mut notes: Notes = Vec::new();
        // Record the exchange (what the upstream answered, or why it did not) and give
        // the device `answer` (none: the connection is closed; `Same`: the response
        // recorded).
        let done = |request: HttpRequest,
                    recorded: Result<HttpResponse, ExchangeFailure>,
                    answer: Answer,
                    relay: Option<Relay>,
                    notes: Notes| {
            let (response, failure) = match recorded {
                Ok(r) => (Some(r), None),
                Err(f) => (None, Some(f)),
            };
            let exchange = Exchange {
                request,
                response,
                failure,
                time: started(),
            };
            match answer {
                Answer::Same => {
                    let (i, response) = self.record_answer(&cell, exchange, relay, notes);
                    Relayed::new(response, &cell, i)
                }
                Answer::Other(answer) => {
                    let i = self.record(&cell, exchange, relay, notes);
                    Relayed::new(answer, &cell, i)
                }
            }
        };

        let before = if mutating {
            let mut s = lock(&cell);
            self.before(&mut s, &request, decoded.as_ref(), &mut relay, &mut notes)
        } else {
            Before::Forward(None)
        };
        let rewritten = match before {
            Before::Answer(resp) => {
                return done(request, Ok(resp), Answer::Same, Some(relay), notes);
            }
            Before::Forward(body) => body,
        };

        let (url, mapped) = self.destination(&request.target);
        // The device's bytes are shared with the record, not copied.
        let body = match &rewritten {
            Some(b) => Bytes::from(b.clone()),
            None => request.body.0.clone(),
        };
        let length = body.len().to_string();
        // Borrowed from the request: copied only into the upstream's header map.
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request.headers.0.len() + 2);
        headers.push(("Host", &url.authority));
        headers.extend(relayable(&request.headers, &["host", "expect"]));
        headers.push(("Content-Length", &length));
        if let Some(original) = &mapped {
            relay
                .changes
                .push(format!("sent to the RespURI the server gave: {original}"));
        }
        if let Some(b) = rewritten {
            relay.request = Some(HttpRequest {
                method: request.method.clone(),
                target: url.target.clone(),
                headers: Headers(
                    headers
                        .iter()
                        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                        .collect(),
                ),
                body: b.into(),
            });
        }
        let reply = self
            .upstream
            .send(&url, &request.method, &headers, body, &self.limits, held)
            .await;
        let upstream_url = || Some(format!("{}{}", url.origin(), url.target));

        let mut response = match (reply.response, reply.failure) {
            (Some(r), None) => r,
            (partial, failure) => {
                let failure = failure.unwrap_or(ExchangeFailure::Transport {
                    detail: "the upstream gave no response".into(),
                });
                let code = status_for(&failure);
                let mut answer = plain(
                    code,
                    &format!(
                        "dmct proxy: the DM server at {} failed: {failure}\n",
                        url.origin()
                    ),
                );
                if code == 503 {
                    // The proxy's own limit: the device may come back.
                    answer.headers.push("Retry-After", "5");
                }
                relay.upstream_url = upstream_url();
                relay.response = partial;
                relay.proxy_response = Some(answer.clone());
                relay
                    .changes
                    .push(format!("the upstream failed ({failure}); answered {code}"));
                notes.push((
                    NoteKind::UpstreamFailure,
                    format!(
                        "upstream {} failed ({failure}): answered {code}",
                        url.origin()
                    ),
                ));
                let relay = Some(relay);
                return done(
                    request,
                    Err(failure),
                    Answer::Other(Some(answer)),
                    relay,
                    notes,
                );
            }
        };
        relayable_only(&mut response.headers);

        // The response's model, when a rewrite or a mutation may need it.
        let decoded_resp = if mutating || scan::may_have_resp_uri(response.body.as_bytes()) {
            dmct_proto::decode(response.body.as_bytes()).ok()
        } else {
            None
        };
        let (delay, drop_it) = {
            let mut s = lock(&cell);
            self.after(
                &mut s,
                decoded.as_ref().map(|d| &d.message),
                &mut response,
                decoded_resp,
                &mut relay,
                &mut notes,
            )
        };
        if delay {
            tokio::time::sleep(self.delay).await;
        }
        let relay = (!relay.changes.is_empty()).then(|| Relay {
            upstream_url: upstream_url(),
            ..relay
        });
        if drop_it {
            let failure = ExchangeFailure::ConnectionClosed {
                detail: "dmct proxy closed the connection instead of relaying the server's \
                         answer (mutation drop-response)"
                    .into(),
            };
            return done(request, Err(failure), Answer::Other(None), relay, notes);
        }
        done(request, Ok(response), Answer::Same, relay, notes)
    }
}

/// What the device gets for an exchange.
enum Answer {
    /// The response recorded.
    Same,
    /// Another answer (the proxy's own 502), or none (the connection is closed).
    Other(Option<HttpResponse>),
}

/// `s` without surrounding white space, kept as it is (not copied) when it has none.
fn trimmed(s: String) -> String {
    if s.trim().len() == s.len() {
        s
    } else {
        s.trim().to_owned()
    }
}
