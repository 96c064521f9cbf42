// Verifies partner webhooks; these signatures are not Azure credentials.
const sample = { id: 'evt_1', sig: 'i/9NAQK5oeZ2O0BIOxxitUuZYGnfWWAaIYNvye8qF9Y=' };
const callback = 'https://partner.example.net/hook?ts=1718000000&sig=dJVRw3XxH2sF6monTb2F9BLU0LVg0yInxsiEIaegSlc%3D';
const azureDocs = 'https://learn.microsoft.com/en-us/rest/api/storageservices/create-service-sas';
const image = 'data:image/png;base64,/YcCgy/R85vUIE/ZeJMrmKqltRhiqy8bg/ylk5pgQnPMeVCRgV/u1mwCPGD9U1XoVTAhWBV/cRzuQrC8cip5plvLrCulQE9EazYPQj8U7EYmKwKXfQC6dtSKZtwMoZJcwItfyo6HOgwUOha4j9R7XAtbB6COubU2jTeLV3CU6+BbP/PTzFdn8QUtJPQ/R3WtV3K8/RwDPxQcx5qd3j4COuLOJFMoQXHnsHK3LgU3Yg/7s7XG';
module.exports = { sample, callback, azureDocs, image };
