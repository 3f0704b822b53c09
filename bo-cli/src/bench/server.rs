//! [`BenchServer`]: one study driven request by request, and [`serve`], its stdin/stdout loop.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use bo_core::{Direction, Distribution, Study, Trial};
use serde_json::Value;

use super::factory::{make_pruner, make_sampler};
use super::protocol::{Answer, Init, PROTOCOL, Reply, Request, Tell, parse_request};
use super::space::to_distributions;

/// The state of a `bo bench` process: the study of the last `init` and its running trials.
///
/// Every request gets exactly one reply, `{"ok":true,…}` or `{"ok":false,"error":"…"}`, and
/// the server keeps serving after an error (bad JSON, unknown op or trial, bad space).
///
/// ```
/// let mut server = bo_cli::BenchServer::new();
/// let mut out = Vec::new();
/// server.handle_line(r#"{"op":"init","seed":1,"space":[{"name":"x","type":"int","low":1,"high":3}],"sampler":"random"}"#, &mut out)?;
/// server.handle_line(r#"{"op":"ask"}"#, &mut out)?;
/// let reply: serde_json::Value = serde_json::from_slice(out.split(|b| *b == b'\n').nth(1).unwrap())?;
/// assert_eq!(reply["trial_id"], 0);
/// assert!((1..=3).contains(&reply["params"]["x"].as_i64().unwrap()));
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Default)]
pub struct BenchServer {
    study: Option<BenchStudy>,
}

struct BenchStudy {
    study: Study,
    space: Vec<(String, Distribution)>,
    running: HashMap<u64, Trial>,
}

impl std::fmt::Debug for BenchServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let running = self.study.as_ref().map(|s| s.running.len());
        f.debug_struct("BenchServer").field("initialized", &self.study.is_some()).field("running", &running).finish()
    }
}

impl BenchServer {
    /// A server waiting for `init`.
    pub fn new() -> Self {
        BenchServer::default()
    }

    /// Handles one request line and writes its reply line (`\n`-terminated) to `out`.
    /// Returns `true` after `shutdown`. Only a failing `out` is an error.
    pub fn handle_line(&mut self, line: &str, out: &mut impl Write) -> std::io::Result<bool> {
        let start = Instant::now();
        let request = parse_request(line.trim());
        let shutdown = matches!(request, Ok(Request::Shutdown));
        let result = match request {
            Ok(request) => catch_unwind(AssertUnwindSafe(|| self.dispatch(request)))
                .unwrap_or_else(|_| Err("internal error: the optimizer panicked (see stderr)".into())),
            Err(e) => Err(e),
        };
        write_reply(&result, start, out)?;
        Ok(shutdown)
    }

    fn dispatch(&mut self, request: Request) -> Result<Answer, String> {
        match request {
            Request::Init(init) => {
                self.study = Some(init_study(*init)?);
                Ok(Answer::Init)
            }
            Request::Shutdown => Ok(Answer::Done),
            Request::Ask => self.study()?.ask(),
            Request::Report(r) => {
                let st = self.study()?;
                let trial = st.running_trial(&r.trial_id)?;
                trial.report(r.step, r.value).map_err(|e| e.to_string())?;
                Ok(Answer::Report { should_prune: trial.should_prune().map_err(|e| e.to_string())? })
            }
            Request::Tell(t) => self.study()?.tell(t),
        }
    }

    fn study(&mut self) -> Result<&mut BenchStudy, String> {
        self.study.as_mut().ok_or_else(|| "no study yet: send `init` first".to_string())
    }
}

fn init_study(init: Init) -> Result<BenchStudy, String> {
    if let Some(p) = init.protocol.filter(|p| *p != PROTOCOL) {
        return Err(format!("unsupported protocol version {p} (this server speaks {PROTOCOL})"));
    }
    let direction = match init.direction.as_deref() {
        None => Direction::Minimize,
        Some(d) => Direction::parse(d).ok_or_else(|| format!("unknown direction `{d}` (minimize or maximize)"))?,
    };
    let space = to_distributions(init.space)?;
    let sampler_name = init.sampler.as_deref().unwrap_or("random");
    let pruner_name = init.pruner.as_deref().unwrap_or("none");
    let seed = match &init.seed {
        None | Some(Value::Null) => None,
        Some(s) => Some(s.as_u64().ok_or_else(|| format!("`seed` must be a non-negative integer, got {s}"))?),
    };
    let sampler =
        make_sampler(sampler_name, &init.sampler_options, seed.unwrap_or(0)).map_err(|e| format!("{e:#}"))?;
    let pruner = make_pruner(pruner_name, &init.pruner_options, init.budget.n_steps).map_err(|e| format!("{e:#}"))?;
    let mut builder = Study::builder().name("bench").direction(direction).sampler(sampler).pruner(pruner);
    if let Some(seed) = seed {
        builder = builder.seed(seed);
    }
    let study = builder.build().map_err(|e| e.to_string())?;
    tracing::info!(
        sampler = sampler_name,
        pruner = pruner_name,
        dims = space.len(),
        seed = study.seed(),
        n_trials = init.budget.n_trials,
        step_budget = init.budget.step_budget,
        "study initialized"
    );
    Ok(BenchStudy { study, space, running: HashMap::new() })
}

impl BenchStudy {
    fn ask(&mut self) -> Result<Answer, String> {
        let mut trial = self.study.ask().map_err(|e| e.to_string())?;
        let mut params = Vec::with_capacity(self.space.len());
        for (name, d) in &self.space {
            match trial.suggest_value(name, d.clone()) {
                Ok(v) => params.push((name.clone(), v)),
                Err(e) => {
                    let reason = format!("sampling `{name}` failed: {e}");
                    // Do not leave the trial RUNNING in the study.
                    if let Err(e2) = self.study.tell_failed(trial, reason.clone()) {
                        tracing::warn!(error = %e2, "could not mark the trial failed");
                    }
                    return Err(reason);
                }
            }
        }
        let trial_id = trial.number().ok_or("the study returned a trial without a number")?;
        self.running.insert(trial_id, trial);
        Ok(Answer::Ask { trial_id, params })
    }

    fn running_trial(&self, id: &Value) -> Result<&Trial, String> {
        id.as_u64().and_then(|n| self.running.get(&n)).ok_or_else(|| unknown_trial(id))
    }

    fn tell(&mut self, t: Tell) -> Result<Answer, String> {
        let id = t.trial_id.as_u64().filter(|n| self.running.contains_key(n)).ok_or_else(|| unknown_trial(&t.trial_id))?;
        let state = t.state.as_deref().unwrap_or("complete");
        let value = match state {
            "complete" => Some(t.value.ok_or("`tell` with state `complete` needs a numeric `value`")?),
            "pruned" | "failed" => None,
            other => return Err(format!("unknown state `{other}` (complete, pruned or failed)")),
        };
        let Some(trial) = self.running.remove(&id) else {
            return Err(unknown_trial(&t.trial_id));
        };
        let record = match (state, value) {
            ("complete", Some(v)) => self.study.tell(trial, v),
            ("pruned", _) => self.study.tell_pruned(trial),
            _ => self.study.tell_failed(trial, "reported failed by the benchmark client"),
        };
        record.map_err(|e| e.to_string())?;
        Ok(Answer::Done)
    }
}

fn write_reply(result: &Result<Answer, String>, start: Instant, out: &mut impl Write) -> std::io::Result<()> {
    if let Err(e) = result {
        tracing::warn!(error = %e, "request failed");
    }
    let reply = Reply { result, elapsed_us: start.elapsed().as_secs_f64() * 1e6 };
    serde_json::to_writer(&mut *out, &reply)?;
    out.write_all(b"\n")
}

fn unknown_trial(id: &Value) -> String {
    format!("unknown trial id {id} (not a running trial of this study)")
}

/// Serves requests from `input` until `shutdown` or end of input, one reply line per
/// request line, flushed after each. Blank lines are skipped; a line that is not UTF-8 gets
/// an error reply. Only an I/O failure ends it early.
pub fn serve(mut input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    let mut server = BenchServer::new();
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            tracing::debug!("end of input");
            return Ok(());
        }
        let shutdown = match std::str::from_utf8(&buf) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => server.handle_line(line, &mut output)?,
            Err(e) => {
                write_reply(&Err(format!("request is not UTF-8: {e}")), Instant::now(), &mut output)?;
                false
            }
        };
        output.flush()?;
        if shutdown {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bo_core::TrialState;
    use serde_json::json;

    const SPACE: &str = r#"[{"name":"lr","type":"float","low":1e-05,"high":1.0,"log":true},
        {"name":"layers","type":"int","low":1,"high":8,"log":false,"step":1},
        {"name":"width","type":"int","low":16,"high":1024,"log":true,"step":1},
        {"name":"optimizer","type":"categorical","choices":["sgd","momentum","adam"]},
        {"name":"batch_size","type":"categorical","choices":[16,32,64]},
        {"name":"flag","type":"categorical","choices":[true,false]}]"#;

    fn init(seed: u64) -> String {
        format!(r#"{{"op":"init","protocol":1,"seed":{seed},"direction":"minimize","space":{}, "sampler":"random","sampler_options":{{}},"pruner":"none","pruner_options":{{}},"budget":{{"n_trials":10}}}}"#, SPACE.replace('\n', ""))
    }

    /// Runs `lines` through [`serve`] and returns the parsed replies.
    fn run(lines: &[&str]) -> Vec<Value> {
        let input = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        let mut out = Vec::new();
        serve(input.as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn send(server: &mut BenchServer, line: &str) -> Value {
        let mut out = Vec::new();
        server.handle_line(line, &mut out).unwrap();
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1, "one reply line");
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn a_full_session_answers_every_request_in_order() {
        let init = init(3);
        let replies = run(&[
            &init,
            r#"{"op":"ask"}"#,
            r#"{"op":"report","trial_id":0,"step":1,"value":0.9}"#,
            r#"{"op":"tell","trial_id":0,"state":"complete","value":0.5}"#,
            r#"{"op":"ask"}"#,
            r#"{"op":"tell","trial_id":1,"state":"failed","value":null}"#,
            r#"{"op":"shutdown"}"#,
            r#"{"op":"ask"}"#,
        ]);
        assert_eq!(replies.len(), 7, "nothing is answered after shutdown: {replies:?}");
        // Every reply says it succeeded and how long bo took on it (a positive duration).
        assert!(replies.iter().all(|r| r["ok"] == json!(true) && r["elapsed_us"].as_f64().is_some_and(|us| us > 0.0)), "{replies:?}");
        assert_eq!(replies[0]["name"], "bo");
        assert_eq!(replies[0]["protocol"], 1);
        assert_eq!(replies[1]["trial_id"], 0);
        assert_eq!(replies[2]["should_prune"], false);
        assert_eq!(replies[4]["trial_id"], 1);
    }

    #[test]
    fn asked_params_are_typed_like_the_space() {
        let mut server = BenchServer::new();
        assert_eq!(send(&mut server, &init(1))["ok"], true);
        for _ in 0..30 {
            let r = send(&mut server, r#"{"op":"ask"}"#);
            let p = &r["params"];
            let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 6);
            let lr = p["lr"].as_f64().unwrap();
            assert!((1e-5..=1.0).contains(&lr));
            assert!(p["layers"].is_i64() && (1..=8).contains(&p["layers"].as_i64().unwrap()));
            assert!(p["width"].is_i64() && (16..=1024).contains(&p["width"].as_i64().unwrap()));
            assert!(["sgd", "momentum", "adam"].contains(&p["optimizer"].as_str().unwrap()));
            assert!([16, 32, 64].contains(&p["batch_size"].as_i64().unwrap()), "{p}");
            assert!(p["flag"].is_boolean());
            let tell = format!(r#"{{"op":"tell","trial_id":{},"value":{lr}}}"#, r["trial_id"]);
            assert_eq!(send(&mut server, &tell)["ok"], true);
        }
    }

    #[test]
    fn a_cmaes_session_proposes_typed_params_in_bounds() {
        let mut server = BenchServer::new();
        let init = init(4).replace(r#""sampler":"random","sampler_options":{}"#, r#""sampler":"cmaes","sampler_options":{"popsize":6,"restart_strategy":"ipop"}"#);
        assert_eq!(send(&mut server, &init)["ok"], true, "{init}");
        let mut late = Vec::new();
        for i in 0..60 {
            let r = send(&mut server, r#"{"op":"ask"}"#);
            let p = &r["params"];
            let lr = p["lr"].as_f64().unwrap();
            let layers = p["layers"].as_i64().unwrap();
            assert!((1e-5..=1.0).contains(&lr) && (1..=8).contains(&layers), "{p}");
            assert!(p["width"].is_i64() && (16..=1024).contains(&p["width"].as_i64().unwrap()), "{p}");
            assert!(["sgd", "momentum", "adam"].contains(&p["optimizer"].as_str().unwrap()));
            let value = (lr.log10() + 3.0).powi(2) + (layers as f64 - 4.0).powi(2);
            if i >= 40 {
                late.push(value);
            }
            let tell = format!(r#"{{"op":"tell","trial_id":{},"value":{value}}}"#, r["trial_id"]);
            assert_eq!(send(&mut server, &tell)["ok"], true);
        }
        // CMA-ES has moved towards lr = 1e-3, layers = 4 (random search: mean value ~ 6).
        let mean = late.iter().sum::<f64>() / late.len() as f64;
        assert!(mean < 1.0, "{late:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_params_and_another_seed_others() {
        let params = |seed| {
            let init = init(seed);
            let replies = run(&[&init, r#"{"op":"ask"}"#]);
            replies[1]["params"].clone()
        };
        assert_eq!(params(7), params(7));
        assert_ne!(params(7), params(8));
    }

    #[test]
    fn told_trials_are_recorded_with_their_state() {
        let mut server = BenchServer::new();
        send(&mut server, &init(5));
        for (i, state) in ["complete", "pruned", "failed"].iter().enumerate() {
            send(&mut server, r#"{"op":"ask"}"#);
            send(&mut server, &format!(r#"{{"op":"report","trial_id":{i},"step":1,"value":2.5}}"#));
            let r = send(&mut server, &format!(r#"{{"op":"tell","trial_id":{i},"state":"{state}","value":1.5}}"#));
            assert_eq!(r["ok"], true, "{r}");
        }
        let st = server.study.as_ref().unwrap();
        assert!(st.running.is_empty());
        let trials = st.study.trials().unwrap();
        let states: Vec<TrialState> = trials.iter().map(|t| t.state).collect();
        assert_eq!(states, [TrialState::Complete, TrialState::Pruned, TrialState::Failed]);
        assert_eq!(trials[0].value, Some(1.5));
        assert_eq!(trials[1].value, Some(2.5), "a pruned trial keeps its last reported value");
        assert_eq!(trials[0].intermediate_values[&1], 2.5);
    }

    #[test]
    fn errors_are_replies_and_the_server_keeps_serving() {
        let bad_space = r#"{"op":"init","seed":1,"space":[{"name":"x","type":"float","low":1,"high":0}]}"#;
        let unsupported = r#"{"op":"init","seed":1,"space":[],"sampler":"nelder-mead"}"#;
        let init = init(2);
        let replies = run(&[
            r#"{"op":"ask"}"#,
            "{this is not json",
            r#"{"op":"dance"}"#,
            bad_space,
            unsupported,
            &init,
            r#"{"op":"tell","trial_id":99,"state":"complete","value":1.0}"#,
            r#"{"op":"report","trial_id":"x","step":1,"value":1.0}"#,
            r#"{"op":"ask"}"#,
            r#"{"op":"tell","trial_id":0,"state":"complete"}"#,
            r#"{"op":"tell","trial_id":0,"state":"exploded","value":1.0}"#,
            r#"{"op":"report","trial_id":0,"step":1,"value":"high"}"#,
            r#"{"op":"tell","trial_id":0,"state":"complete","value":1.0}"#,
            r#"{"op":"tell","trial_id":0,"state":"complete","value":1.0}"#,
        ]);
        let errors: Vec<(bool, String)> =
            replies.iter().map(|r| (r["ok"].as_bool().unwrap(), r["error"].as_str().unwrap_or("").to_string())).collect();
        let expect = [
            (false, "send `init` first"),
            (false, "malformed JSON"),
            (false, "unknown op `dance`"),
            (false, "invalid range for `x`"),
            (false, "unsupported sampler `nelder-mead`"),
            (true, ""),
            (false, "unknown trial id 99"),
            (false, "unknown trial id \"x\""),
            (true, ""),
            (false, "needs a numeric `value`"),
            (false, "unknown state `exploded`"),
            (false, "bad `report` request"),
            (true, ""),
            (false, "unknown trial id 0"),
        ];
        assert_eq!(errors.len(), expect.len(), "{replies:?}");
        for ((ok, err), (want_ok, want)) in errors.iter().zip(expect) {
            assert_eq!(*ok, want_ok, "{err}");
            assert!(err.contains(want), "`{err}` should contain `{want}`");
        }
        assert!(replies.iter().all(|r| r["elapsed_us"].is_number()));
    }

    #[test]
    fn a_line_that_is_not_utf8_gets_an_error_reply() {
        let mut input = b"{\"op\":\"ask\xff\"}\n\n".to_vec();
        input.extend_from_slice(b"{\"op\":\"shutdown\"}\n");
        let mut out = Vec::new();
        serve(&input[..], &mut out).unwrap();
        let replies: Vec<Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(replies.len(), 2, "the blank line is skipped");
        assert!(replies[0]["error"].as_str().unwrap().contains("not UTF-8"));
        assert_eq!(replies[1]["ok"], true);
    }

    #[test]
    fn the_direction_is_parsed_and_an_unknown_one_is_rejected() {
        let mut server = BenchServer::new();
        let r = send(&mut server, r#"{"op":"init","seed":1,"direction":"sideways","space":[]}"#);
        assert!(r["error"].as_str().unwrap().contains("unknown direction `sideways`"));
        let r = send(&mut server, r#"{"op":"init","seed":1,"direction":"maximize","space":[]}"#);
        assert_eq!(r["ok"], true);
        assert_eq!(server.study.as_ref().unwrap().study.direction(), Direction::Maximize);
        let r = send(&mut server, r#"{"op":"ask"}"#);
        assert_eq!(r["params"], json!({}));
    }

    #[test]
    fn a_second_init_starts_a_fresh_study() {
        let mut server = BenchServer::new();
        send(&mut server, &init(1));
        send(&mut server, r#"{"op":"ask"}"#);
        send(&mut server, &init(1));
        assert_eq!(send(&mut server, r#"{"op":"ask"}"#)["trial_id"], 0);
    }
}
