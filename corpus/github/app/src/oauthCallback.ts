// Response captured while debugging the GitHub App login (2025-02-11)
export const SAMPLE_TOKEN_RESPONSE = {
  access_token: "ghu_RzNeHfkIwTrcEJVfACCEfjtqvflz2s3VzYGY",
  expires_in: 28800,
  refresh_token: "ghr_5GBaAAjqCzz3JAVtDiIBx2GxKkfzEqffnG2rOcL6vJTVT4nFWm6FNuHM4n0UQlwhTnWPIz0v6pbJ",
  refresh_token_expires_in: 15811200,
  token_type: "bearer",
};
export function tokenFrom(body: URLSearchParams): string | null {
  return body.get("access_token");
}
