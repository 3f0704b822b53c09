//! Run: `cargo run --release -p example-distributed -- --storage postgres://bo@HOST:5432/studies --trials 20`
//! (`examples/distributed/run.sh` starts a throwaway PostgreSQL server and N of these).
//!
//! One worker of a study that many processes or machines share. Each worker runs its own
//! trials; workers never talk to each other, only to the storage. The objective trains a small
//! neural network (one hidden layer, SGD with momentum and L2) on the Wisconsin breast-cancer
//! data shipped with smartcore and reports the validation log loss after every epoch, so the
//! median pruner stops hopeless trials. Heartbeats are on: if a worker dies mid-trial (killed
//! by the scheduler, out of memory, machine lost) another worker marks its trial FAILED after
//! the grace period and runs it again with the same parameters.

use std::time::Duration;

use anyhow::{Context, Result};
use bo_core::{Error, Float, Int, MedianPruner, Optimize, Study, TpeSampler, Trial, TrialState, open_storage};
use clap::Parser;

/// One worker of a shared study: tune a small MLP on the breast-cancer data.
#[derive(Parser)]
struct Args {
    /// Storage shared by every worker: `postgres://user:password@host:port/db` (many machines)
    /// or `sqlite:PATH` (the processes of one machine).
    #[arg(long, env = "BO_STORAGE")]
    storage: String,
    /// Study name (created by the first worker, joined by the others).
    #[arg(long, default_value = "breast-cancer-mlp")]
    study: String,
    /// Trials this worker runs.
    #[arg(long, default_value_t = 20)]
    trials: u64,
    /// Training epochs per trial (one intermediate value each).
    #[arg(long, default_value_t = 40)]
    epochs: u64,
    /// Seconds between two heartbeats of a running trial.
    #[arg(long, default_value_t = 5.0)]
    heartbeat: f64,
    /// Seconds without a heartbeat after which a trial's worker is taken for dead.
    #[arg(long, default_value_t = 60.0)]
    grace: f64,
    /// How many times a dead worker's trial is run again.
    #[arg(long, default_value_t = 2)]
    retries: u32,
}

/// Training and validation split, standardized with the training statistics.
struct Data {
    train: Vec<(Vec<f64>, f64)>,
    valid: Vec<(Vec<f64>, f64)>,
}

/// SplitMix64: a tiny deterministic generator for the split and the initial weights.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn symmetric(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, (self.next_u64() % (i as u64 + 1)) as usize);
        }
    }
}

fn load_data() -> Data {
    let ds = smartcore::dataset::breast_cancer::load_dataset();
    let d = ds.num_features;
    let mut rows: Vec<(Vec<f64>, f64)> = (0..ds.num_samples)
        .map(|i| (ds.data[i * d..(i + 1) * d].iter().map(|&v| f64::from(v)).collect(), f64::from(ds.target[i])))
        .collect();
    SplitMix(7).shuffle(&mut rows);
    let valid = rows.split_off(rows.len() * 4 / 5);
    let mut train = rows;
    let n = train.len() as f64;
    let mean: Vec<f64> = (0..d).map(|j| train.iter().map(|r| r.0[j]).sum::<f64>() / n).collect();
    let sd: Vec<f64> = (0..d)
        .map(|j| (train.iter().map(|r| (r.0[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt().max(1e-12))
        .collect();
    let mut valid = valid;
    for (x, _) in train.iter_mut().chain(valid.iter_mut()) {
        for ((v, m), s) in x.iter_mut().zip(&mean).zip(&sd) {
            *v = (*v - m) / s;
        }
    }
    Data { train, valid }
}

/// A one-hidden-layer network: tanh hidden units, sigmoid output.
struct Mlp {
    w1: Vec<Vec<f64>>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: f64,
}

impl Mlp {
    fn new(inputs: usize, hidden: usize, rng: &mut SplitMix) -> Self {
        let s1 = (1.0 / inputs as f64).sqrt();
        let s2 = (1.0 / hidden as f64).sqrt();
        Mlp {
            w1: (0..hidden).map(|_| (0..inputs).map(|_| s1 * rng.symmetric()).collect()).collect(),
            b1: vec![0.0; hidden],
            w2: (0..hidden).map(|_| s2 * rng.symmetric()).collect(),
            b2: 0.0,
        }
    }

    fn forward(&self, x: &[f64]) -> (Vec<f64>, f64) {
        let h: Vec<f64> =
            self.w1.iter().zip(&self.b1).map(|(w, b)| (w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + b).tanh()).collect();
        let z = self.w2.iter().zip(&h).map(|(a, b)| a * b).sum::<f64>() + self.b2;
        (h, 1.0 / (1.0 + (-z).exp()))
    }

    fn log_loss(&self, data: &[(Vec<f64>, f64)]) -> f64 {
        let eps = 1e-12;
        data.iter()
            .map(|(x, y)| {
                let p = self.forward(x).1.clamp(eps, 1.0 - eps);
                -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            })
            .sum::<f64>()
            / data.len() as f64
    }
}

/// Gradient step state: momentum buffers shaped like the network.
struct Sgd {
    lr: f64,
    momentum: f64,
    l2: f64,
    v: Mlp,
}

impl Sgd {
    fn step(&mut self, net: &mut Mlp, batch: &[(Vec<f64>, f64)]) {
        let hidden = net.b1.len();
        let inputs = net.w1[0].len();
        let mut g = Mlp { w1: vec![vec![0.0; inputs]; hidden], b1: vec![0.0; hidden], w2: vec![0.0; hidden], b2: 0.0 };
        for (x, y) in batch {
            let (h, p) = net.forward(x);
            let dz = p - y;
            g.b2 += dz;
            for (k, hk) in h.iter().enumerate() {
                g.w2[k] += dz * hk;
                let dh = dz * net.w2[k] * (1.0 - hk * hk);
                g.b1[k] += dh;
                for (gw, xi) in g.w1[k].iter_mut().zip(x) {
                    *gw += dh * xi;
                }
            }
        }
        let scale = 1.0 / batch.len() as f64;
        let (lr, mu, l2) = (self.lr, self.momentum, self.l2);
        let update = |w: &mut f64, v: &mut f64, g: f64| {
            *v = mu * *v - lr * (g * scale + l2 * *w);
            *w += *v;
        };
        for (k, row) in net.w1.iter_mut().enumerate() {
            for (j, w) in row.iter_mut().enumerate() {
                update(w, &mut self.v.w1[k][j], g.w1[k][j]);
            }
        }
        for (k, b) in net.b1.iter_mut().enumerate() {
            update(b, &mut self.v.b1[k], g.b1[k]);
        }
        for (k, w) in net.w2.iter_mut().enumerate() {
            update(w, &mut self.v.w2[k], g.w2[k]);
        }
        update(&mut net.b2, &mut self.v.b2, g.b2);
    }
}

fn objective(trial: &mut Trial, data: &Data, epochs: u64) -> Result<f64> {
    let lr = trial.suggest_float("lr", Float::log(1e-3, 1.0))?;
    let momentum = trial.suggest_float("momentum", Float::new(0.0, 0.95))?;
    let l2 = trial.suggest_float("l2", Float::log(1e-6, 1e-1))?;
    let hidden = trial.suggest_int("hidden", Int::log(2, 64))? as usize;
    let batch = trial.suggest_categorical("batch", &[8i64, 32, 128])? as usize;
    let inputs = data.train[0].0.len();
    let mut rng = SplitMix(trial.number().unwrap_or(0));
    let mut net = Mlp::new(inputs, hidden, &mut rng);
    let zeros = Mlp { w1: vec![vec![0.0; inputs]; hidden], b1: vec![0.0; hidden], w2: vec![0.0; hidden], b2: 0.0 };
    let mut sgd = Sgd { lr, momentum, l2, v: zeros };
    let mut order: Vec<usize> = (0..data.train.len()).collect();
    let mut loss = f64::INFINITY;
    for epoch in 0..epochs {
        rng.shuffle(&mut order);
        let shuffled: Vec<(Vec<f64>, f64)> = order.iter().map(|&i| data.train[i].clone()).collect();
        for chunk in shuffled.chunks(batch) {
            sgd.step(&mut net, chunk);
        }
        loss = net.log_loss(&data.valid);
        if !loss.is_finite() {
            anyhow::bail!("training diverged at epoch {epoch} (lr {lr:.3e})");
        }
        trial.report_or_prune(epoch, loss)?; // steps count from 0; Err(Pruned) when pruned
    }
    Ok(loss)
}

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let storage = open_storage(&args.storage).with_context(|| format!("cannot open storage `{}`", args.storage))?;
    let study = Study::builder()
        .name(&args.study)
        .shared_storage(storage)
        .sampler(TpeSampler::default()) // constant liar keeps parallel workers apart
        .pruner(MedianPruner::builder().n_startup_trials(5).n_warmup_steps(5).build()?)
        .heartbeat(Duration::from_secs_f64(args.heartbeat), Duration::from_secs_f64(args.grace))
        .retry_failed_trials(args.retries)
        .load_if_exists(true)
        .build()?;
    let data = load_data();
    let pid = std::process::id();
    study.optimize_with(
        Optimize::trials(args.trials).progress_bar(false).callback(move |_, t| {
            let value = t.value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into());
            println!("worker {pid}: trial {} {} {value}", t.number, t.state);
        }),
        |trial: &mut Trial| objective(trial, &data, args.epochs),
    )?;
    let trials = study.trials()?;
    let complete = trials.iter().filter(|t| t.state == TrialState::Complete).count();
    println!("worker {pid}: done; the study has {} trials ({complete} complete)", trials.len());
    match study.best_trial() {
        Ok(best) => println!(
            "worker {pid}: best so far: trial {} log loss {:.4} {:?}",
            best.number,
            best.value.unwrap_or(f64::NAN),
            best.params
        ),
        Err(Error::NoCompletedTrials) => println!("worker {pid}: no completed trial yet"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
