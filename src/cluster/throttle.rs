//! Client-side rate limiting of requests to the API server, as client-go does
//! it (`--qps`, `--burst-limit`): a token bucket that holds `burst` tokens,
//! starts full and refills at `qps` tokens a second; each request takes one,
//! waiting for it when the bucket is empty. kube-rs has no limiter of its own,
//! so [`ThrottleLayer`] sits on top of the client's tower stack.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// client-go's `DefaultQPS`: what `--qps 0` means.
pub const DEFAULT_QPS: f32 = 5.0;
/// client-go's `DefaultBurst`: what `--burst-limit 0` means.
pub const DEFAULT_BURST: u32 = 10;
/// Helm's default `--burst-limit`.
pub const HELM_BURST_LIMIT: u32 = 100;

/// `--qps` and `--burst-limit` with client-go's meaning once `--qps` is given: a `qps` of 0
/// is [`DEFAULT_QPS`], a negative one turns the limiter off; a `burst` of 0 is
/// [`DEFAULT_BURST`]. Without `--qps` ketch does not throttle itself: the API server's
/// priority and fairness protects it, and client-go's 5 a second would stretch an install
/// of 300 objects from under a second to about 40 (ketch sends its writes concurrently).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub qps: Option<f32>,
    pub burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            qps: None,
            burst: HELM_BURST_LIMIT,
        }
    }
}

impl Limits {
    /// The effective rate and burst, or `None` when requests are not limited.
    pub fn effective(&self) -> Option<(f64, u32)> {
        let qps = match self.qps? {
            0.0 => DEFAULT_QPS,
            qps => qps,
        };
        let burst = if self.burst == 0 {
            DEFAULT_BURST
        } else {
            self.burst
        };
        (qps > 0.0 && qps.is_finite()).then_some((f64::from(qps), burst))
    }
}

/// A token bucket: `tokens` of at most `burst`, refilled at `qps` a second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    qps: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(qps: f64, burst: u32, now: Instant) -> Self {
        TokenBucket {
            qps,
            burst: f64::from(burst),
            tokens: f64::from(burst),
            last: now,
        }
    }

    /// Takes a token if there is one; otherwise says how long until there is.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.qps).min(self.burst);
        self.last = now;
        // The margin absorbs rounding: a wait of exactly the refill time yields a token.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.qps))
        }
    }
}

/// Adds [`Throttle`] to a service stack.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLayer {
    limits: Limits,
}

impl ThrottleLayer {
    pub fn new(limits: Limits) -> Self {
        ThrottleLayer { limits }
    }
}

impl<S> Layer<S> for ThrottleLayer {
    type Service = Throttle<S>;

    fn layer(&self, inner: S) -> Throttle<S> {
        Throttle {
            inner,
            bucket: self
                .limits
                .effective()
                .map(|(qps, burst)| TokenBucket::new(qps, burst, Instant::now())),
            admitted: false,
            sleep: None,
        }
    }
}

/// A service that is ready only when the bucket gives it a token. kube's
/// client calls it through a `Buffer`, one request at a time, so readiness
/// admits requests in order while their responses run concurrently.
pub struct Throttle<S> {
    inner: S,
    /// `None`: no limit.
    bucket: Option<TokenBucket>,
    /// A token was taken for the next call.
    admitted: bool,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<S, R> Service<R> for Throttle<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if let Some(bucket) = &mut self.bucket {
            while !self.admitted {
                if let Some(sleep) = &mut self.sleep {
                    ready!(sleep.as_mut().poll(cx));
                    self.sleep = None;
                }
                match bucket.try_take(Instant::now()) {
                    Ok(()) => self.admitted = true,
                    Err(wait) => {
                        self.sleep = Some(Box::pin(tokio::time::sleep(wait)));
                    }
                }
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.admitted = false;
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt;

    #[test]
    fn limits_follow_client_go() {
        assert_eq!(Limits::default().effective(), None);
        let limits = |qps, burst| {
            Limits {
                qps: Some(qps),
                burst,
            }
            .effective()
        };
        assert_eq!(limits(0.0, 0), Some((5.0, 10)));
        assert_eq!(limits(20.0, 30), Some((20.0, 30)));
        assert_eq!(limits(-1.0, 30), None);
    }

    #[test]
    fn bucket_starts_full_then_refills_at_qps() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2.0, 3, start);
        for _ in 0..3 {
            assert_eq!(bucket.try_take(start), Ok(()));
        }
        let wait = bucket.try_take(start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(bucket.try_take(start + Duration::from_millis(499)).is_err());
        assert_eq!(bucket.try_take(start + Duration::from_millis(500)), Ok(()));
        // A long pause refills no more than the burst.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(bucket.try_take(later), Ok(()));
        }
        assert!(bucket.try_take(later).is_err());
    }

    /// The times at which `requests` calls get through a throttled service.
    async fn admitted_at(limits: Limits, requests: usize) -> Vec<Duration> {
        let start = Instant::now();
        let inner = tower::service_fn(|()| async { Ok::<_, Infallible>(Instant::now()) });
        let mut service = ThrottleLayer::new(limits).layer(inner);
        let mut times = Vec::new();
        for _ in 0..requests {
            let at = service.ready().await.unwrap().call(()).await.unwrap();
            times.push(at - start);
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn requests_past_the_burst_wait_for_tokens() {
        let times = admitted_at(
            Limits {
                qps: Some(5.0),
                burst: 5,
            },
            8,
        )
        .await;
        let ms: Vec<u128> = times.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 0, 0, 0, 200, 400, 600]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_negative_qps_does_not_limit() {
        let times = admitted_at(
            Limits {
                qps: Some(-1.0),
                burst: 1,
            },
            50,
        )
        .await;
        assert!(times.iter().all(Duration::is_zero));
    }
}
