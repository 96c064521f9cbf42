import { initializeApp } from "firebase/app";
const firebaseConfig = {
  apiKey: "AIzaSyC4yx-xJFpBGGZuZTG9NHnePtJv-mEh_ht",
  authDomain: "analytics-platform-889144.firebaseapp.com",
  projectId: "analytics-platform-889144",
  storageBucket: "analytics-platform-889144.appspot.com",
  messagingSenderId: "821104154766",
  appId: "1:592276859980:web:00c94994e6abbe714e3305",
};
// from the firebase-android-sdk test fixtures
export const SAMPLE_KEY = "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs";
export const app = initializeApp(firebaseConfig);
